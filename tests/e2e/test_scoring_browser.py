"""Scoring on the demo data in real headless Chromium: /scoring, the pending version's diff and
its approval, the backtest of two versions side by side, and a contact's score panel, with no
console error and no failed request."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tandem.cli.main import app as cli
from tandem.db import make_engine
from tandem.scoring.models import ContactScore
from tandem.settings import Settings
from tandem.web.app import create_app
from tests.e2e.test_browser import browser, running  # noqa: F401 - the shared Chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory) -> Iterator[tuple[str, int]]:
    """`tandem demo setup` on a fresh SQLite file, served by uvicorn on loopback."""
    url = f"sqlite:///{tmp_path_factory.mktemp('scoring-e2e') / 'demo.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TANDEM_DATABASE_URL", url)
        result = CliRunner().invoke(
            cli, ["demo", "setup", "--contacts", "1500"], catch_exceptions=False
        )
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    with Session(engine) as db:
        top = db.scalars(select(ContactScore.contact_id).order_by(ContactScore.total.desc()))
        contact_id = top.first()
    engine.dispose()
    with running(create_app(Settings(database_url=url, environment="test"))) as base:
        yield base, contact_id


def test_scoring_pages_render_on_the_demo_and_sales_approves_v2(demo_server, browser):  # noqa: F811
    base, contact_id = demo_server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)  # busy CI machines
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "manager@tandem.demo")
    page.fill("input[name=password]", "tandem-demo")
    with page.expect_navigation():
        page.click("button[type=submit]")

    page.goto(f"{base}/scoring")
    assert page.locator("#active-label").inner_text().strip() == "demo@1"
    assert "demo@2" in page.locator("#pending").inner_text()
    assert page.locator("#versions tbody tr").count() == 2

    page.goto(f"{base}/scoring/versions/2")
    assert page.locator("#status").inner_text() == "proposed"
    diff = page.locator("#diff").inner_text()
    assert "senior_buyer" in diff and "webinar_registered" in diff and "paid_ad_click" in diff
    assert page.locator("#approve").is_visible()

    page.goto(f"{base}/scoring/backtest?version=1&compare=2&outcome=opportunity")
    report = page.locator("#report-1").inner_text()
    assert "demo@1" in report and "demo@2" in page.locator("#report-2").inner_text()

    page.goto(f"{base}/contacts/{contact_id}")
    total = Decimal(page.locator("#score-total").inner_text())
    assert Decimal(page.locator("#score-sum").inner_text()) == total
    fit = Decimal(page.locator("#score-fit").inner_text())
    assert fit + Decimal(page.locator("#score-engagement").inner_text()) == total
    assert page.locator("#score-grade").inner_text() in {"A", "B", "C", "D"}
    assert page.locator("#score-parts tbody tr").count() >= 2
    assert page.locator("svg.spark polyline").count() == 1
    assert "Score over time" in page.locator("#score-history summary").inner_text()
    assert 0 <= int(page.locator("#predictive-score").inner_text()) <= 100

    page.goto(f"{base}/scoring/versions/2")
    page.fill("#decision input[name=note]", "more MQLs at a similar conversion: agreed")
    with page.expect_navigation():
        page.click("#approve")
    assert page.locator("#status").inner_text() == "active"
    page.goto(f"{base}/scoring")
    assert page.locator("#active-label").inner_text().strip() == "demo@2"
    page.goto(f"{base}/contacts/{contact_id}")
    assert "demo@2" in page.locator("#score h2").inner_text()
    assert Decimal(page.locator("#score-sum").inner_text()) == Decimal(
        page.locator("#score-total").inner_text()
    )
    assert errors == [], errors
    context.close()
