"""Shares and tracked links: one action to many recipients, a personal link each; opening one
stores a view for that contact (through the activity write path), tells the sharer, and a
tampered, replayed or retired link records nothing for the wrong person."""

import email
import email.policy
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tandem.activities.models import Activity
from tandem.content import links, shares
from tandem.content.models import AssetShare
from tandem.db import utcnow
from tandem.handoff.models import Notification
from tests import factories as f
from tests.handoff.test_mail import Inbox, free_port

from .conftest import token_for


def views(db, contact_id=None):
    query = select(Activity).where(Activity.type == "content_view").order_by(Activity.id)
    if contact_id is not None:
        query = query.where(Activity.contact_id == contact_id)
    return list(db.scalars(query))


@pytest.fixture
def buyers(db):
    acct = f.account(db, name="Helix Labs")
    return [
        f.contact(db, email="ada@helix.example", first_name="Ada", last_name="Lovelace",
                  account_id=acct.id),
        f.contact(db, email="bo@helix.example", first_name="Bo", account_id=acct.id),
    ]  # fmt: skip


def share_api(client, db, user, asset_id, **body):
    return client.post(f"/api/v1/content/assets/{asset_id}/shares", json=body,
                       headers=token_for(db, user))  # fmt: skip


def token_of(url: str) -> str:
    return url.rsplit("/c/", 1)[1]


def test_one_share_action_gives_each_recipient_a_personal_link(client, db, people, live_asset,
                                                               buyers):  # fmt: skip
    answer = share_api(client, db, people.rep, live_asset.id,
                       emails=["ada@helix.example", "BO@helix.example"])  # fmt: skip
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert [link["contact_id"] for link in result["links"]] == [b.id for b in buyers]
    tokens = [token_of(link["url"]) for link in result["links"]]
    assert len(set(tokens)) == 2 and all(links.well_formed(t) for t in tokens)
    rows = db.scalars(select(AssetShare).order_by(AssetShare.id)).all()
    assert {r.batch for r in rows} == {result["batch"]} and len(rows) == 2
    # Only the hashes are stored: the database never holds a working link.
    assert [r.token_hash for r in rows] == [links.token_hash(t) for t in tokens]
    assert not set(tokens) & {r.token_hash for r in rows}
    # The asset's page (a rep's own shares) never shows a token again.
    page = client.get(f"/api/v1/content/assets/{live_asset.id}", headers=token_for(db, people.rep))
    assert len(page.json()["shares"]) == 2 and not any(t in page.text for t in tokens)


def test_opening_records_a_view_for_the_recipient_and_redirects(client, db, people, live_asset,
                                                                buyers):  # fmt: skip
    url = share_api(client, db, people.rep, live_asset.id,
                    emails=["ada@helix.example"]).json()["links"][0]["url"]  # fmt: skip
    client.cookies.clear()
    opened = client.get(f"/c/{token_of(url)}", follow_redirects=False)
    assert opened.status_code == 302
    assert opened.headers["location"] == "https://example.com/battlecard"
    assert opened.headers["cache-control"] == "no-store"
    (view,) = views(db)
    assert (view.contact_id, view.asset_id) == (buyers[0].id, live_asset.id)
    share_id = db.scalar(select(AssetShare.id))
    assert view.properties["share_id"] == share_id and view.properties["forwarded"] is False
    # A reload from the same browser in the same half hour is the same view.
    again = client.get(f"/c/{token_of(url)}", follow_redirects=False)
    assert again.status_code == 302 and len(views(db)) == 1
    # Forwarded: another browser opens the recipient's link; counted for the recipient, marked.
    other = TestClient(client.app)
    assert other.get(f"/c/{token_of(url)}", follow_redirects=False).status_code == 302
    first, second = views(db)
    assert second.contact_id == buyers[0].id and second.properties["forwarded"] is True
    # The contact's page lists the asset among the content they consumed.
    contact = client.get(f"/api/v1/contacts/{buyers[0].id}", headers=token_for(db, people.admin))
    assert [c["title"] for c in contact.json()["content"]] == ["Pricing Battlecard"]


def test_a_link_replayed_by_another_contact_is_never_their_view(client, db, people, live_asset,
                                                                buyers):  # fmt: skip
    made = share_api(client, db, people.rep, live_asset.id,
                     emails=["ada@helix.example", "bo@helix.example"]).json()["links"]  # fmt: skip
    ada_link, bo_link = (token_of(link["url"]) for link in made)
    ada = TestClient(client.app)
    assert ada.get(f"/c/{ada_link}", follow_redirects=False).status_code == 302
    # Ada's browser opens Bo's link: Bo's link, so Bo's asset view, marked forwarded; Ada gets
    # no second view.
    assert ada.get(f"/c/{bo_link}", follow_redirects=False).status_code == 302
    assert len(views(db, buyers[0].id)) == 1
    (bo_view,) = views(db, buyers[1].id)
    assert bo_view.properties["forwarded"] is True


def test_a_tampered_link_is_a_plain_404_recording_nothing(client, db, people, live_asset, buyers):
    url = share_api(client, db, people.rep, live_asset.id,
                    emails=["ada@helix.example"]).json()["links"][0]["url"]  # fmt: skip
    token = token_of(url)
    flipped = ("A" if token[5] != "A" else "B").join((token[:5], token[6:]))
    never_issued = client.get(f"/c/{links.new_token()}", follow_redirects=False)
    assert never_issued.status_code == 404 and "not valid" in never_issued.text
    for bad in (flipped, token[:-1], token + "x", "0" * 43, token.lower()):
        answer = client.get(f"/c/{bad}", follow_redirects=False)
        # The same page as for a token never issued: nothing tells them apart.
        assert (answer.status_code, answer.text) == (404, never_issued.text)
        for leak in ("Pricing Battlecard", "example.com/battlecard", "ada@"):
            assert leak not in answer.text
    assert views(db) == []


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(position=st.integers(0, 42), char=st.sampled_from("AZaz09-_"))
def test_no_tampered_token_ever_records_a_view(db, people, live_asset, buyers, position, char):
    savepoint = db.begin_nested()  # each example undone, the fixtures kept
    real = links.new_token()
    db.add(AssetShare(asset_id=live_asset.id, user_id=people.rep.id, contact_id=buyers[0].id,
                      batch="b", token_hash=links.token_hash(real)))  # fmt: skip
    db.flush()
    tampered = real[:position] + char + real[position + 1 :]
    opened = shares.open_link(db, token=tampered, visitor="0" * 16, tag=None, now=utcnow(),
                              settings=_settings())  # fmt: skip
    if tampered == real:
        assert opened.outcome == "redirect" and opened.recorded
    else:
        assert opened.outcome == "unknown" and not opened.recorded and views(db) == []
    savepoint.rollback()


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(offsets=st.lists(st.integers(0, 1799), min_size=1, max_size=8))
def test_opens_by_one_browser_in_one_window_store_one_view(db, people, live_asset, buyers,
                                                          offsets):  # fmt: skip
    savepoint = db.begin_nested()
    token = links.new_token()
    share = AssetShare(asset_id=live_asset.id, user_id=people.rep.id, contact_id=buyers[0].id,
                       batch="b", token_hash=links.token_hash(token))  # fmt: skip
    db.add(share)
    db.flush()
    start = utcnow().replace(minute=0, second=0, microsecond=0)  # a window's first second
    recorded = [
        shares.open_link(db, token=token, visitor="a" * 16, tag=None,
                         now=start + timedelta(seconds=s), settings=_settings()).recorded
        for s in offsets
    ]  # fmt: skip
    assert recorded.count(True) == 1 and recorded[0] is True
    assert len(views(db, buyers[0].id)) == 1
    savepoint.rollback()


def _settings():
    from tandem.settings import Settings

    return Settings(environment="test")


def test_refusals_say_why(client, db, people, live_asset, buyers):
    f.activity(db, buyers[1], "email_unsubscribe", utcnow() - timedelta(days=3))
    theirs = f.contact(db, email="cy@else.example", owner_id=people.other_rep.id)
    sent = ["ada@helix.example", "bo@helix.example", "nobody@x.example", "cy@else.example"]
    answer = share_api(client, db, people.rep, live_asset.id, emails=sent)
    result = answer.json()
    assert [link["email"] for link in result["links"]] == ["ada@helix.example"]
    reasons = {r["recipient"]: r["reason"] for r in result["refused"]}
    assert reasons == {
        "bo@helix.example": "unsubscribed from email: not sent",
        "nobody@x.example": "no contact has this email",
        "cy@else.example": "not your contact: ask their owner",
    }
    assert (
        db.scalar(select(AssetShare.contact_id).where(AssetShare.contact_id == theirs.id)) is None
    )


def test_expired_is_warned_archived_and_draft_refused(client, db, people, live_asset, buyers):
    live_asset.expires_on = utcnow().date() - timedelta(days=1)
    db.flush()
    warned = share_api(client, db, people.rep, live_asset.id, emails=["ada@helix.example"])
    assert warned.status_code == 201 and "expired on" in warned.json()["warnings"][0]
    for status, word in (("draft", "draft"), ("archived", "archived")):
        live_asset.status = status
        db.flush()
        refused = share_api(client, db, people.rep, live_asset.id, emails=["bo@helix.example"])
        assert refused.status_code == 422 and word in refused.json()["detail"]
    assert db.query(AssetShare).count() == 1


def test_an_archived_assets_link_shows_a_neutral_page(client, db, people, live_asset, buyers):
    url = share_api(client, db, people.rep, live_asset.id,
                    emails=["ada@helix.example"]).json()["links"][0]["url"]  # fmt: skip
    client.post(f"/api/v1/content/assets/{live_asset.id}/archive",
                headers=token_for(db, people.marketer))  # fmt: skip
    answer = client.get(f"/c/{token_of(url)}", follow_redirects=False)
    assert answer.status_code == 410 and "retired" in answer.text
    assert "example.com/battlecard" not in answer.text and views(db) == []


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_the_sharer_is_told_by_email_once_per_open_and_per_forward(
    client, db, people, live_asset, buyers, smtp
):
    inbox, port = smtp
    app = client.app
    app.state.settings = app.state.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": "tandem@example.com"}
    )
    url = share_api(client, db, people.rep, live_asset.id,
                    emails=["ada@helix.example"]).json()["links"][0]["url"]  # fmt: skip
    token = token_of(url)
    first, second = TestClient(app), TestClient(app)
    first.get(f"/c/{token}", follow_redirects=False)
    first.get(f"/c/{token}", follow_redirects=False)  # a reload: no second email
    second.get(f"/c/{token}", follow_redirects=False)  # forwarded: one more
    subjects = [m["Subject"] for m in inbox.messages]
    assert subjects == [
        "Ada Lovelace opened \u201cPricing Battlecard\u201d",
        "\u201cPricing Battlecard\u201d you sent Ada Lovelace was opened by someone else "
        "(forwarded)",
    ]
    assert {m["To"] for m in inbox.messages} == {people.rep.email}
    body = inbox.messages[0].get_content()
    assert f"/contacts/{buyers[0].id}" in body
    inboxed = db.scalars(select(Notification.kind).where(Notification.user_id == people.rep.id))
    assert list(inboxed) == ["content_view", "content_view"]
    assert email.policy  # the parser the Inbox uses


def test_without_mail_the_sharer_finds_it_in_the_inbox(client, db, people, live_asset, buyers):
    url = share_api(client, db, people.rep, live_asset.id,
                    emails=["ada@helix.example"]).json()["links"][0]["url"]  # fmt: skip
    client.get(f"/c/{token_of(url)}", follow_redirects=False)
    (note,) = db.scalars(select(Notification).where(Notification.user_id == people.rep.id))
    assert note.subject == "Ada Lovelace opened \u201cPricing Battlecard\u201d"
    assert note.contact_id == buyers[0].id


def test_a_view_feeds_the_score(client, db, people, live_asset, buyers):
    from tandem.scoring.models import ContactScore
    from tests.scoring.store_support import activate

    model = """\
name: content
version: 1
fit_rules: []
behaviour_rules:
  - {id: read, activity_type: content_view, points: 15, decay: {half_life_days: 30}, cap: 30}
mql: {total: 30}
grades: {A: 30, B: 20, C: 10}
"""
    activate(db, people.marketer, people.manager, model, utcnow() - timedelta(days=1))
    url = share_api(client, db, people.rep, live_asset.id,
                    emails=["ada@helix.example"]).json()["links"][0]["url"]  # fmt: skip
    before = db.get(ContactScore, buyers[0].id)
    assert before is None or before.total == 0
    client.get(f"/c/{token_of(url)}", follow_redirects=False)
    db.expire_all()
    score = db.get(ContactScore, buyers[0].id)
    assert score is not None and 14.9 < float(score.total) <= 15
