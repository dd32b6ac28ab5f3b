"""Unused and stale assets: the purge list with its evidence, proposed by one team and
approved by the other (which archives them), and expired assets told to their owner once."""

from datetime import timedelta

from tandem.audit.models import AuditEvent
from tandem.content import purge
from tandem.content.models import Asset, AssetShare
from tandem.db import utcnow
from tandem.handoff.models import Notification
from tests import factories as f

from .conftest import token_for


def _world(db, people):
    now = utcnow()
    buyer = f.contact(db)
    read = f.asset(db, title="Read lately", type="guide", journey_stage="awareness")
    old = f.asset(db, title="Read long ago", type="guide", journey_stage="awareness")
    never = f.asset(db, title="Never touched", type="guide", journey_stage="awareness",
                    owner_id=people.marketer.id)  # fmt: skip
    expired = f.asset(db, title="Last year's pricing", type="pricing", journey_stage="decision",
                      expires_on=(now - timedelta(days=10)).date(),
                      owner_id=people.marketer.id)  # fmt: skip
    for asset in (read, old, expired):
        db.add(AssetShare(asset_id=asset.id, user_id=people.rep.id, contact_id=buyer.id,
                          batch="b", token_hash=f"{asset.id:064d}"))  # fmt: skip
    f.activity(db, buyer, "content_download", now - timedelta(days=5), asset_id=read.id)
    f.activity(db, buyer, "content_download", now - timedelta(days=400), asset_id=old.id)
    f.activity(db, buyer, "content_download", now - timedelta(days=2), asset_id=expired.id)
    db.flush()
    return now, read, old, never, expired


def test_the_purge_list_names_each_reason_with_the_evidence(db, people):
    now, read, old, never, expired = _world(db, people)
    rows = {r.title: r for r in purge.unused(db, as_of=now, months=6)}
    assert set(rows) == {"Read long ago", "Never touched", "Last year's pricing"}
    assert rows["Never touched"].reasons == ["never_shared", "never_viewed"]
    assert rows["Read long ago"].reasons == ["no_recent_use"]
    assert rows["Read long ago"].buyer_views == 1 and rows["Read long ago"].shares == 1
    assert rows["Read long ago"].last_view_at.date() == (now - timedelta(days=400)).date()
    assert rows["Last year's pricing"].reasons == ["expired"]
    # A longer window forgives the old read.
    assert "Read long ago" not in {r.title for r in purge.unused(db, as_of=now, months=24)}


def test_one_team_proposes_the_other_approves_and_only_then_archives(client, db, people):
    now, read, old, never, expired = _world(db, people)
    marketer, manager = token_for(db, people.marketer), token_for(db, people.manager)
    rep = token_for(db, people.rep)
    assert client.post("/api/v1/content/purges", json={}, headers=rep).status_code == 403
    proposed = client.post("/api/v1/content/purges", json={"months": 6}, headers=marketer)
    assert proposed.status_code == 201, proposed.text
    body = proposed.json()
    assert body["proposed_team"] == "marketing" and len(body["evidence"]) == 3
    assert db.get(Asset, never.id).status == "live"  # nothing archived on a proposal
    url = f"/api/v1/content/purges/{body['id']}/approve"
    same_team = client.post(url, json={}, headers=marketer)
    assert same_team.status_code == 403 and "other team" in same_team.json()["detail"]
    approved = client.post(url, json={"comment": "agreed"}, headers=manager)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    db.expire_all()
    statuses = {a.title: a.status for a in db.query(Asset)}
    assert statuses == {"Read lately": "live", "Read long ago": "archived",
                        "Never touched": "archived", "Last year's pricing": "archived"}  # fmt: skip
    again = client.post(url, json={}, headers=manager)
    assert again.status_code == 422 and "already approved" in again.json()["detail"]
    actions = [e.action for e in db.query(AuditEvent).filter_by(entity_type="content_purge")]
    assert actions == ["content.purge.propose", "content.purge.approved"]


def test_a_rejected_purge_archives_nothing(client, db, people):
    _world(db, people)
    made = client.post("/api/v1/content/purges", json={}, headers=token_for(db, people.manager))
    assert made.json()["proposed_team"] == "sales"
    done = client.post(f"/api/v1/content/purges/{made.json()['id']}/reject", json={},
                       headers=token_for(db, people.marketer))  # fmt: skip
    assert done.json()["status"] == "rejected"
    assert {a.status for a in db.query(Asset)} == {"live"}


def test_expired_assets_are_told_to_their_owner_once(db, people):
    now, *_ = _world(db, people)
    sent = []
    told = purge.notify_expired(db, as_of=now, send=lambda *a: sent.append(a),
                                base_url="http://t.example")  # fmt: skip
    assert told == {"owners": 1, "assets": 1}
    ((to, subject, body),) = sent
    assert to == people.marketer.email and subject == "1 of your assets are past their expiry date"
    assert "Last year's pricing" in body and "http://t.example/content/" in body
    assert purge.notify_expired(db, as_of=now + timedelta(days=1), send=lambda *a: sent.append(a),
                                base_url="x") == {"owners": 0, "assets": 0}  # fmt: skip
    assert len(sent) == 1
    inbox = db.query(Notification).filter_by(user_id=people.marketer.id).all()
    assert [n.kind for n in inbox] == ["content_expired"]


def test_the_unused_api_lists_the_same_rows(client, db, people):
    _world(db, people)
    answer = client.get("/api/v1/content/unused?months=6", headers=token_for(db, people.admin))
    assert sorted(r["title"] for r in answer.json()["rows"]) == [
        "Last year's pricing", "Never touched", "Read long ago"]  # fmt: skip
