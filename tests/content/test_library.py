"""The library through the API: create with the taxonomy checked, edit, archive, search, facets."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.content import service
from tandem.content.models import Asset
from tests import factories as f

from .conftest import token_for

NEW = {
    "title": "ROI of Aligned Revenue Teams",
    "type": "whitepaper",
    "journey_stage": "consideration",
    "personas": ["executive", "marketer"],
    "buying_roles": ["decision_maker"],
    "products": ["Tandem Core"],
    "url": "https://example.com/roi",
    "description": "How aligned teams close more.",
}


def test_a_marketer_creates_an_asset_tagged_by_the_taxonomy(client, db, people):
    headers = token_for(db, people.marketer)
    made = client.post("/api/v1/content/assets", json=NEW, headers=headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["personas"] == ["executive", "marketer"]
    assert body["owner_id"] == people.marketer.id and body["status"] == "live"
    assert db.get(Asset, body["id"]).products == ["Tandem Core"]


def test_bad_tags_are_refused_naming_the_field(client, db, people):
    headers = token_for(db, people.marketer)
    no_stage = client.post("/api/v1/content/assets", json=NEW | {"journey_stage": None,
                           "url": None}, headers=headers)  # fmt: skip
    assert no_stage.status_code == 422
    assert no_stage.json()["detail"][0]["loc"] == ["body", "journey_stage"]
    persona = client.post("/api/v1/content/assets", json=NEW | {"personas": ["astronaut"],
                          "url": None}, headers=headers)  # fmt: skip
    assert persona.status_code == 422
    assert persona.json()["detail"][0]["loc"] == ["body", "personas"]
    assert "astronaut" in persona.json()["detail"][0]["msg"]
    assert db.query(Asset).count() == 0


def test_a_rep_cannot_create_edit_or_archive_others_assets_but_edits_their_own(
    client, db, people, live_asset
):
    rep = token_for(db, people.rep)
    assert client.post("/api/v1/content/assets", json=NEW, headers=rep).status_code == 403
    put = client.put(f"/api/v1/content/assets/{live_asset.id}", json=NEW, headers=rep)
    assert put.status_code == 403
    archived = client.post(f"/api/v1/content/assets/{live_asset.id}/archive", headers=rep)
    assert archived.status_code == 403
    db.refresh(live_asset)
    assert live_asset.status == "live" and live_asset.title == "Pricing Battlecard"
    own = f.asset(db, title="Rae's talk track", type="battlecard", journey_stage="decision",
                  owner_id=people.rep.id)  # fmt: skip
    edited = client.put(f"/api/v1/content/assets/{own.id}", json=NEW | {"url": None}, headers=rep)
    assert edited.status_code == 200 and edited.json()["title"] == NEW["title"]


def test_archive_and_edit_are_audited(client, db, people, live_asset):
    from tandem.audit.models import AuditEvent

    headers = token_for(db, people.manager)
    done = client.post(f"/api/v1/content/assets/{live_asset.id}/archive", headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "archived"
    actions = [e.action for e in db.query(AuditEvent).filter_by(entity_type="asset")]
    assert actions == ["content.asset.archive"]
    listed = client.get("/api/v1/content/assets", headers=headers).json()
    assert listed["total"] == 0  # archived assets leave the default view
    shown = client.get("/api/v1/content/assets?status=archived", headers=headers).json()
    assert [r["id"] for r in shown["rows"]] == [live_asset.id]


def test_search_matches_every_word_and_facets_count_what_is_left(client, db, people):
    f.asset(db, title="Case Study: Helix", type="case_study", journey_stage="decision",
            personas=["marketer"], products=["Tandem ABM"])  # fmt: skip
    f.asset(db, title="Case Study: Northwind", type="case_study", journey_stage="decision",
            personas=["sales_leader"], description="speed to lead")  # fmt: skip
    f.asset(db, title="What is lead scoring", type="blog_post", journey_stage="awareness",
            personas=["marketer"])  # fmt: skip
    headers = token_for(db, people.rep)
    found = client.get("/api/v1/content/assets?q=case+lead", headers=headers).json()
    assert [r["title"] for r in found["rows"]] == ["Case Study: Northwind"]
    marketer = client.get("/api/v1/content/assets?persona=marketer", headers=headers).json()
    assert sorted(r["title"] for r in marketer["rows"]) == [
        "Case Study: Helix", "What is lead scoring"]  # fmt: skip
    stages = {x["value"]: x["count"] for x in marketer["facets"]["journey_stage"]}
    assert stages == {"decision": 1, "awareness": 1}
    personas = {x["value"]: x["count"] for x in marketer["facets"]["persona"]}
    assert personas == {"marketer": 2, "sales_leader": 1}  # the persona facet ignores itself
    product = client.get("/api/v1/content/assets?product=Tandem+ABM", headers=headers).json()
    assert [r["title"] for r in product["rows"]] == ["Case Study: Helix"]


@pytest.fixture
def guide(db):
    return f.asset(db, title="100% pure_guide", type="guide", journey_stage="awareness")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(min_size=1, max_size=30))
def test_any_query_text_is_a_search_never_an_error(db, guide, q):
    """LIKE wildcards (%, _) and backslashes are matched literally; reads only, so the one
    database serves every example."""
    found = service.library(db, q=q).rows
    words = service.search_terms(q)
    haystacks = ("100% pure_guide", "guide", "[]")
    expected = all(any(w in h for h in haystacks) for w in words)
    assert ([r.id for r in found] == [guide.id]) == expected
