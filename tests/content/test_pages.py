"""The content pages over HTTP with a browser session: the library with facets and ratings,
the new-asset form refusing bad tags by field, sharing to many from the asset page, feedback,
and the purge page's joint approval."""

import re

from tandem.content.models import Asset, AssetShare, ContentPurge
from tests import factories as f
from tests.auth.people import sign_in

from .conftest import browser


def test_the_library_page_shows_facets_ratings_and_usage(client, db, people, live_asset):
    f.asset(db, title="What is lead scoring", type="blog_post", journey_stage="awareness",
            personas=["marketer"])  # fmt: skip
    browser(client, db, people.rep)
    page = client.get("/content?stage=decision")
    assert page.status_code == 200
    assert "Pricing Battlecard" in page.text and "What is lead scoring" not in page.text
    assert re.search(r"<strong>Decision</strong> \(1\)", page.text)
    assert 'href="/content/new"' not in page.text  # reps do not add assets
    all_page = client.get("/content").text
    assert "Awareness</a> (1)" in all_page and "Content</a>" in all_page  # the nav link


def test_the_new_asset_form_names_the_bad_field_then_creates(client, db, people):
    csrf = browser(client, db, people.marketer)
    form = {"csrf_token": csrf, "title": "Battlecard vs Acme", "type": "battlecard",
            "journey_stage": "", "personas": ["sales_leader"], "products": "Core; ABM"}  # fmt: skip
    refused = client.post("/content", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert "journey_stage: required: one of awareness" in refused.text
    assert 'value="Battlecard vs Acme"' in refused.text  # what was typed is kept
    made = client.post("/content", data=form | {"journey_stage": "decision"},
                       follow_redirects=False)  # fmt: skip
    assert made.status_code == 303
    asset = db.query(Asset).one()
    assert made.headers["location"] == f"/content/{asset.id}"
    assert (asset.products, asset.personas) == (["Core", "ABM"], ["sales_leader"])
    assert client.post("/content", data=form | {"csrf_token": "forged"}).status_code == 403


def test_a_rep_shares_to_many_from_the_asset_page_and_rates_it(client, db, people, live_asset):
    f.contact(db, email="ada@helix.example")
    f.contact(db, email="bo@helix.example")
    csrf = browser(client, db, people.rep)
    page = client.get(f"/content/{live_asset.id}").text
    assert 'id="edit"' not in page  # not the rep's asset: no edit form
    recipients = "ada@helix.example, bo@helix.example\nno@x.example"
    shared = client.post(f"/content/{live_asset.id}/share",
                         data={"csrf_token": csrf, "recipients": recipients})  # fmt: skip
    assert shared.status_code == 200
    urls = re.findall(r'value="(http[^"]+/c/[^"]+)"', shared.text)
    assert len(urls) == 2 and db.query(AssetShare).count() == 2
    assert "Not shared with no@x.example: no contact has this email" in shared.text
    rated = client.post(f"/content/{live_asset.id}/feedback",
                        data={"csrf_token": csrf, "rating": "4", "comment": "works"},
                        follow_redirects=False)  # fmt: skip
    assert rated.status_code == 303
    page = client.get(f"/content/{live_asset.id}").text
    assert "rating <strong>4.0</strong> from 1" in page and "Rae Rep: 4/5" in page
    bad = client.post(f"/content/{live_asset.id}/feedback", data={"csrf_token": csrf,
                      "rating": "9"})  # fmt: skip
    assert bad.status_code == 422 and "choose 1 to 5" in bad.text
    edit = client.post(f"/content/{live_asset.id}", data={"csrf_token": csrf, "title": "x"})
    assert edit.status_code == 403


def test_the_owner_edits_and_archives_from_the_page(client, db, people, live_asset):
    csrf = browser(client, db, people.marketer)
    assert 'id="edit"' in client.get(f"/content/{live_asset.id}").text
    form = {"csrf_token": csrf, "title": "Pricing Battlecard v2", "type": "battlecard",
            "journey_stage": "decision", "personas": ["astronaut"]}  # fmt: skip
    refused = client.post(f"/content/{live_asset.id}", data=form)
    assert refused.status_code == 422 and "unknown persona &#39;astronaut&#39;" in refused.text
    saved = client.post(f"/content/{live_asset.id}", data=form | {"personas": ["executive"]},
                        follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    client.post(f"/content/{live_asset.id}/archive", data={"csrf_token": csrf})
    db.expire_all()
    asset = db.get(Asset, live_asset.id)
    assert (asset.title, asset.personas, asset.status) == (
        "Pricing Battlecard v2", ["executive"], "archived")  # fmt: skip


def test_the_purge_page_offers_approval_to_the_other_team_only(client, db, people):
    stale = f.asset(db, title="Stale guide", type="guide", journey_stage="awareness")
    csrf = browser(client, db, people.marketer)
    page = client.get("/content/unused").text
    assert "Stale guide" in page and "never shared by a rep" in page
    client.post("/content/purges", data={"csrf_token": csrf, "months": "6"})
    purge = db.query(ContentPurge).one()
    assert "Approve and archive" not in client.get("/content/unused").text  # own proposal
    sign_in(client, db, people.manager)
    client.get("/content")
    csrf = client.cookies.get("tandem_csrf")
    assert "Approve and archive" in client.get("/content/unused").text
    client.post(f"/content/purges/{purge.id}/approve", data={"csrf_token": csrf})
    db.expire_all()
    assert db.get(Asset, stale.id).status == "archived"


def test_a_stored_file_is_served_through_its_link(client, db, people, tmp_path):
    client.app.state.settings = client.app.state.settings.model_copy(update={"data_dir": tmp_path})
    asset = f.asset(db, title="Deck", type="deck", journey_stage="decision",
                    owner_id=people.marketer.id)  # fmt: skip
    buyer = f.contact(db, email="cy@helix.example")
    csrf = browser(client, db, people.marketer)
    up = client.post(f"/content/{asset.id}/file", data={"csrf_token": csrf},
                     files={"file": ("../../evil deck.pdf", b"%PDF-1.4 deck", "application/pdf")},
                     follow_redirects=False)  # fmt: skip
    assert up.status_code == 303
    db.expire_all()
    assert db.get(Asset, asset.id).file_name == "evil-deck.pdf"
    assert (tmp_path / "content" / str(asset.id) / "evil-deck.pdf").read_bytes() == b"%PDF-1.4 deck"
    shared = client.post(f"/content/{asset.id}/share",
                         data={"csrf_token": csrf, "recipients": buyer.email})  # fmt: skip
    (url,) = re.findall(r'value="http[^"]+(/c/[^"]+)"', shared.text)
    client.cookies.clear()
    opened = client.get(url)
    assert opened.status_code == 200 and opened.content == b"%PDF-1.4 deck"


def test_sharing_from_the_contact_page_goes_through_the_library(client, db, people, live_asset):
    buyer = f.contact(db, email="ada@helix.example", first_name="Ada", owner_id=people.rep.id)
    theirs = f.contact(db, email="cy@else.example", owner_id=people.other_rep.id)
    csrf = browser(client, db, people.rep)
    contact_page = client.get(f"/contacts/{buyer.id}").text
    assert f'href="/content?contact={buyer.id}"' in contact_page
    library = client.get(f"/content?contact={buyer.id}").text
    assert "Sharing with Ada (ada@helix.example)" in library and "Share with Ada" in library
    assert "Sharing with" not in client.get(f"/content?contact={theirs.id}").text
    shared = client.post(f"/content/{live_asset.id}/share",
                         data={"csrf_token": csrf, "recipients": str(buyer.id)})  # fmt: skip
    assert shared.status_code == 200 and "ada@helix.example: <input" in shared.text
