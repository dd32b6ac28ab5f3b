"""Rep feedback: a rating per rep (re-rating replaces it), "used in this deal" once per deal,
and the library shows the rating beside the usage."""

from tandem.content.models import AssetDealUse, AssetFeedback
from tests import factories as f

from .conftest import token_for


def test_rating_again_replaces_and_the_library_averages(client, db, people, live_asset):
    rep, other = token_for(db, people.rep), token_for(db, people.other_rep)
    url = f"/api/v1/content/assets/{live_asset.id}/feedback"
    assert client.put(url, json={"rating": 2, "comment": "dated"}, headers=rep).status_code == 200
    assert client.put(url, json={"rating": 4, "comment": "updated"}, headers=rep).status_code == 200
    assert client.put(url, json={"rating": 5}, headers=other).status_code == 200
    rows = db.query(AssetFeedback).filter_by(asset_id=live_asset.id).all()
    assert sorted((r.user_id, r.rating) for r in rows) == [
        (people.rep.id, 4),
        (people.other_rep.id, 5),
    ]
    listed = client.get("/api/v1/content/assets", headers=rep).json()["rows"][0]
    assert (listed["rating"], listed["ratings"]) == (4.5, 2)
    for bad in (0, 6, "five"):
        assert client.put(url, json={"rating": bad}, headers=rep).status_code == 422


def test_used_in_a_deal_once_and_only_in_deals_the_rep_may_see(client, db, people, live_asset):
    acct = f.account(db)
    mine = f.opportunity(db, acct, owner_id=people.rep.id)
    theirs = f.opportunity(db, acct, owner_id=people.other_rep.id)
    rep = token_for(db, people.rep)
    url = f"/api/v1/content/assets/{live_asset.id}/deals"
    first = client.post(url, json={"deal_id": mine.id}, headers=rep)
    again = client.post(url, json={"deal_id": mine.id}, headers=rep)
    assert (first.json()["new"], again.json()["new"]) == (True, False)
    assert client.post(url, json={"deal_id": theirs.id}, headers=rep).status_code == 403
    assert client.post(url, json={"deal_id": 999999}, headers=rep).status_code == 404
    assert db.query(AssetDealUse).count() == 1
    listed = client.get("/api/v1/content/assets", headers=rep).json()["rows"][0]
    assert listed["deal_uses"] == 1
