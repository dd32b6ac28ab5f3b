"""The records API: If-Match versions (409 stale with the stored values, 428 without), field
errors, the object rules for a rep's token, and deletes for admins and managers only."""

from sqlalchemy import select

from tandem.contacts.models import Contact
from tandem.opportunities.models import Opportunity


def _auth(token, version=None):
    headers = {"Authorization": f"Bearer {token}"}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return headers


def test_patch_contact_with_versions(client, db, team, token_of):
    token = token_of(team.boss)
    url = f"/api/v1/contacts/{team.anns.id}"
    version = client.get(url, headers=_auth(token)).json()["version"]
    assert client.patch(url, json={"title": "CTO"}, headers=_auth(token)).status_code == 428
    done = client.patch(url, json={"title": "CTO"}, headers=_auth(token, version))
    assert done.status_code == 200, done.text
    assert done.json()["title"] == "CTO" and done.json()["version"] == version + 1
    stale = client.patch(url, json={"title": "CEO"}, headers=_auth(token, version))
    assert stale.status_code == 409
    body = stale.json()
    assert body["current"]["title"] == "CTO" and body["changed_by"] == "Sam Boss"
    db.refresh(team.anns)
    assert team.anns.title == "CTO"
    bad = client.patch(url, json={"email": "", "budget": -5}, headers=_auth(token, version + 1))
    assert bad.status_code == 422
    assert {e["loc"][-1] for e in bad.json()["detail"]} == {"email", "budget"}


def test_a_reps_token_cannot_edit_another_reps_contact_or_deal(client, db, team, token_of):
    token = token_of(team.ann)
    refused = client.patch(
        f"/api/v1/contacts/{team.bobs.id}", json={"title": "x"}, headers=_auth(token, 1)
    )
    assert refused.status_code == 403
    assert (
        client.patch(
            f"/api/v1/opportunities/{team.opp.id}", json={"name": "x"}, headers=_auth(token, 1)
        ).status_code
        == 403
    )
    # Her own contact: yes; giving it to Bob: no.
    own = client.patch(
        f"/api/v1/contacts/{team.anns.id}", json={"owner_id": team.bob.id}, headers=_auth(token, 1)
    )
    assert own.status_code == 403 and "another owner" in own.json()["detail"]
    assert (
        client.delete(f"/api/v1/contacts/{team.anns.id}", headers=_auth(token)).status_code == 403
    )


def test_a_rep_creates_deals_only_on_accounts_she_may_open(client, db, team, token_of):
    token = token_of(team.ann)
    body = {"name": "Poach", "account_id": team.acct.id, "amount": "100"}
    assert client.post("/api/v1/opportunities", json=body, headers=_auth(token)).status_code == 403
    assert db.scalar(select(Opportunity.id).where(Opportunity.name == "Poach")) is None
    mine = {**body, "name": "Mine", "account_id": team.anns_acct.id, "stage": "qualification"}
    made = client.post("/api/v1/opportunities", json=mine, headers=_auth(token))
    assert made.status_code == 201, made.text
    assert made.json()["owner_id"] == team.ann.id and made.json()["stage"] == "qualification"
    too_big = {**mine, "amount": "1e308"}
    assert (
        client.post("/api/v1/opportunities", json=too_big, headers=_auth(token)).status_code == 422
    )
    text_id = {**mine, "account_id": "+1"}
    assert (
        client.post("/api/v1/opportunities", json=text_id, headers=_auth(token)).status_code == 422
    )


def test_move_a_deal_through_the_api_and_delete_as_manager(client, db, team, token_of):
    boss = token_of(team.boss)
    url = f"/api/v1/opportunities/{team.opp.id}"
    deal = client.get(url, headers=_auth(boss)).json()
    lost = {"stage": "closed_lost"}
    refused = client.post(f"{url}/stage", json=lost, headers=_auth(boss, deal["version"]))
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "lost_reason"
    moved = client.post(
        f"{url}/stage",
        json={**lost, "lost_reason": "competitor"},
        headers=_auth(boss, deal["version"]),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["is_closed"] and moved.json()["lost_reason"] == "competitor"
    assert client.delete(url, headers=_auth(boss)).status_code == 204
    assert db.scalar(select(Opportunity.id).where(Opportunity.id == team.opp.id)) is None
    assert db.scalar(select(Contact.id).where(Contact.id == team.bobs.id)) is not None
