"""End to end in real headless Chromium: a marketer adds an asset, a rep finds it by facet and
shares it with two buyers, a buyer's browser opens the personal link and the rep sees the view."""

import re

import pytest
from sqlalchemy.orm import Session

from tandem.db import make_engine
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.e2e.test_browser import browser, running  # noqa: F401 - the Chromium fixture
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('content-e2e') / 'e2e.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        f.user(db, name="Mia Marketer", email="mia@example.com", role="marketer")
        f.user(db, name="Rae Rep", email="rae@example.com")
        f.contact(db, email="ada@helix.example", first_name="Ada", last_name="Lovelace")
        f.contact(db, email="bo@helix.example", first_name="Bo")
        db.commit()
    with running(create_app(Settings(database_url=url, environment="test"))) as base:
        yield base
    engine.dispose()


def _sign_in(page, base, email):
    page.goto(f"{base}/login?next=/content")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_add_find_share_open_and_see_the_view(live, browser):  # noqa: F811
    base = live
    marketer = browser.new_context().new_page()
    marketer.set_default_timeout(60_000)
    errors: list[str] = []
    marketer.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(marketer, base, "mia@example.com")
    marketer.click("text=Add an asset")
    marketer.fill("input[name=title]", "Helix case study")
    marketer.select_option("select[name=type]", "case_study")
    marketer.check("input[name=personas][value=sales_leader]")
    marketer.fill("input[name=url]", f"{base}/login")  # a page this server serves
    with marketer.expect_navigation():
        marketer.click("text=Add to the library")
    # No stage chosen: refused, the field named, what was typed kept.
    assert "journey_stage: required" in marketer.locator("[role=alert]").first.inner_text()
    assert marketer.input_value("input[name=title]") == "Helix case study"
    errors.clear()  # the refused form was a 422, logged by the browser as an error
    marketer.select_option("select[name=journey_stage]", "decision")
    with marketer.expect_navigation():
        marketer.click("text=Add to the library")
    asset_url = marketer.url
    assert re.search(r"/content/\d+$", asset_url)

    rep = browser.new_context().new_page()
    rep.set_default_timeout(60_000)
    _sign_in(rep, base, "rae@example.com")
    rep.click("section[aria-label=Stage] >> text=Decision")
    assert rep.locator("#assets tbody tr").count() == 1
    rep.click("text=Helix case study")
    rep.fill("textarea[name=recipients]", "ada@helix.example\nbo@helix.example")
    with rep.expect_navigation():
        rep.click("text=Create personal links")
    links = rep.locator("#links input").evaluate_all("els => els.map(e => e.value)")
    assert len(links) == 2 and all("/c/" in link for link in links)

    buyer = browser.new_context().new_page()
    buyer.goto(links[0])
    assert buyer.url == f"{base}/login"  # redirected to the asset
    rep.goto(asset_url)
    assert "1</strong> buyer views" in rep.content()
    assert "Ada Lovelace" in rep.locator("#views").inner_text()
    assert errors == [], errors
