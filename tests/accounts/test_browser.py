"""In real headless Chromium: the account page loads its ABM section (score explained,
committee map, whitespace) and a rep confirms a role from it; the accounts list filters."""

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from tandem.accounts import journey, scores
from tandem.auth.roles import Role
from tandem.db import make_engine, utcnow
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.e2e.test_browser import browser, running  # noqa: F401 - the shared Chromium
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def abm_server(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('abm') / 'abm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        rep = f.user(db, Role.SALES_REP, email="ria@example.com")
        acct = f.account(
            db, name="Orbit Labs", industry="software", employees=4000, owner_id=rep.id, tier="1"
        )
        f.account(db, name="Quiet Co", tier="3")
        ceo = f.contact(
            db,
            account_id=acct.id,
            first_name="Ada",
            last_name="Chief",
            title="CEO",
            buying_role="decision_maker",
        )
        vp = f.contact(
            db, account_id=acct.id, first_name="Bo", last_name="Vee", title="VP Engineering"
        )
        now = utcnow()
        for day in range(3):
            f.activity(db, ceo, "meeting", at=now - timedelta(days=day + 1))
        f.activity(db, vp, "page_view", at=now - timedelta(days=2))
        f.opportunity(db, acct, product_line="GTX Pro", is_won=True, is_closed=True)
        scores.score_accounts(db, [acct.id], as_of=now)
        journey.snapshot(db, day=now.date())
        db.commit()
        seeded = {"account_id": acct.id, "vp": vp.id}
    with running(create_app(Settings(database_url=url, environment="test"))) as base:
        yield base, seeded


def test_the_account_page_shows_its_abm_section_and_a_rep_confirms_a_role(abm_server, browser):  # noqa: F811
    base, seeded = abm_server
    page = browser.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "ria@example.com")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"{base}/accounts?tier=1")
    assert page.locator("#accounts tbody tr").count() == 1
    page.click("text=Orbit Labs")
    page.wait_for_url(f"{base}/accounts/{seeded['account_id']}")
    page.wait_for_selector("#committee-map")  # fetched by accounts.js
    rows = [r.split("\t") for r in page.locator(".score-parts").inner_text().splitlines()[1:]]
    parts, total = rows[:-1], rows[-1]
    assert total[0].lower() == "total"
    assert sum(Decimal(r[2]) for r in parts) == Decimal(total[1]) > 0  # the parts sum exactly
    assert "likely champion, 60%" not in page.locator("#committee-map").inner_text()
    assert "GTX Pro" in page.locator("#whitespace").inner_text()
    page.select_option("select[name=contact_id]", str(seeded["vp"]))
    page.fill("input[name=role]", "champion")
    with page.expect_navigation():
        page.click("text=Confirm role")
    page.wait_for_selector("#committee-map")
    row = page.locator("#committee-map tr", has_text="Bo Vee").inner_text()
    assert "Champion" in row and "rep" in row  # the role shown with its label
    assert errors == [], errors
