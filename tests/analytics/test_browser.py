"""Every scorecard page in real headless Chromium: charts drawn, no console error, screenshots.

Screenshots go to pytest's tmp dir (printed on failure) so a person can look at them.
"""

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import uvicorn
from sqlalchemy.orm import Session

from tandem.attribution import default_config
from tandem.attribution.store import run_full
from tandem.auth.roles import Role
from tandem.db import make_engine
from tandem.goals import service as goals
from tandem.goals.schemas import GoalIn
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.analytics.conftest import seed_world
from tests.e2e.test_browser import browser  # noqa: F401 - the shared Chromium fixture
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

DASHBOARDS = ["funnel", "velocity", "pipeline", "handoff", "revenue"]
RANGE = "start=2026-06-01&end=2026-12-01"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """uvicorn on loopback over a seeded SQLite database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('scorecard') / 'scorecard.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        f.user(db, role=Role.EXECUTIVE, name="Pat CRO", email="cro@example.com")
        rep = f.user(db, role=Role.SALES_REP, name="Rae Rep", email="rep@example.com")
        world = seed_world(db)
        world["people"][0].owner_id = rep.id
        goals.set_goal(
            db_session=db,
            goal_in=GoalIn(team="marketing", metric="mqls", period="2026-11", target=6),
        )
        run_full(db_session=db, config=default_config(), now=datetime(2026, 11, 20, tzinfo=UTC))
        db.commit()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(database_url=url, environment="test", analytics_refresh_seconds=0)
    app = create_app(settings)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(f"{server}/login")
    tab.fill("input[name=email]", "cro@example.com")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{server}/")
    yield tab
    context.close()


@pytest.mark.parametrize("name", DASHBOARDS)
def test_dashboard_draws_its_charts(server, page, name, tmp_path_factory):
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.goto(f"{server}/analytics/{name}?{RANGE}")
    page.wait_for_selector(".chart .main-svg")
    charts = page.locator(".chart")
    assert charts.count() >= 1
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.locator(".main-svg").count() >= 1, f"chart {i} of {name} not drawn"
        assert chart.locator("g.trace, g.point").count() >= 1, f"chart {i} of {name} is empty"
        box = chart.bounding_box()
        assert box and box["height"] > 100 and box["width"] > 300
    shot = tmp_path_factory.mktemp("shots") / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    page.remove_listener("console", on_console)
    assert errors == [], errors


def test_filters_apply_and_refused_values_are_said(server, page):
    page.goto(f"{server}/analytics/funnel?{RANGE}")
    page.select_option("select[name=segment]", "smb")
    page.click("text=Apply")
    page.wait_for_url("**segment=smb**")
    assert page.locator(".tile .big").first.inner_text() == "2"  # smb leads
    page.goto(f"{server}/analytics/funnel?{RANGE}&region=mars")
    assert "no region called 'mars'" in page.locator("[role=alert]").inner_text()


def test_goals_and_weekly_review_pages(server, page, tmp_path_factory):
    page.goto(f"{server}/goals?period=2026-11")
    assert "MQLs" in page.locator("#team-goals").inner_text()
    page.goto(f"{server}/reports/weekly?week=2026-W47")
    sections = page.locator(".report-section h2").all_inner_texts()
    # The review's eight sections, then those capabilities add (Capability.review_sections).
    assert sections[0] == "1. What types of deals are closing" and sections[7].startswith("8. ")
    added = [s.split(". ", 1)[1] for s in sections[8:]]
    assert "Content shared by sales" in added and "Accounts by tier and stage" in added, added
    assert page.locator(".report-section svg.chart-svg").count() >= 4
    shot = tmp_path_factory.mktemp("shots") / "weekly.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000


def test_goals_and_attribution_pages_screenshots(server, page, tmp_path_factory):
    shots = tmp_path_factory.mktemp("shots")
    page.goto(f"{server}/goals?period=2026-11")
    page.screenshot(path=str(shots / "goals.png"), full_page=True)
    assert (shots / "goals.png").stat().st_size > 20_000
    page.goto(f"{server}/attribution")
    assert "Stored results: attribution run" in page.locator("#stored-run").inner_text()
    assert page.locator("#total").inner_text() != ""
    page.screenshot(path=str(shots / "attribution.png"), full_page=True)
    assert (shots / "attribution.png").stat().st_size > 20_000
    page.goto(f"{server}/analytics/revenue?{RANGE}")
    assert "Attributed revenue by channel" in page.locator("main").inner_text()


@pytest.mark.parametrize("email", ["cro@example.com", "rep@example.com"])
def test_every_figure_link_opens_for_each_role(server, browser, email, tmp_path_factory):  # noqa: F811
    """Each role follows every figure's links (its records, its definition, the CSV) from the
    scorecard, the dashboards and the review: each answers 200 and the records' total is the
    number the tile showed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(f"{server}/login")
    tab.fill("input[name=email]", email)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{server}/")
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pages = ["/", *(f"/analytics/{d}?{RANGE}" for d in DASHBOARDS), "/reports/weekly?week=2026-W47"]
    links: dict[str, str] = {}
    for path in pages:
        tab.goto(f"{server}{path}")
        for tile in tab.locator(".tile.figure").all():
            records = tile.locator("a.big").get_attribute("href")
            links[records] = tile.get_attribute("data-value") or ""
            links[tile.locator(".window a").get_attribute("href")] = ""
    assert len(links) >= 20
    shots = tmp_path_factory.mktemp("shots")
    for href in sorted(links):
        response = tab.goto(f"{server}{href}")
        assert response.status == 200, (email, href, response.status)
        if "/records" in href:
            total = tab.locator(".total").get_attribute("data-total")
            csv = tab.request.get(f"{server}{href.replace('/records?', '/records.csv?')}")
            assert csv.status == 200 and len(csv.text().splitlines()) == int(total) + 1
    tab.goto(f"{server}/metrics/revenue_won?from=2026-06-01&to=2026-11-30&by=region")
    tab.screenshot(path=str(shots / "metric.png"), full_page=True)
    tab.goto(f"{server}/metrics/reached_lead/records?from=2026-06-01&to=2026-11-30")
    tab.screenshot(path=str(shots / "records.png"), full_page=True)
    names = tab.locator("table.records tbody tr td:first-child").all_inner_texts()
    if email.startswith("rep"):
        assert names.count("not yours") == 0  # unassigned contacts are the rep's to see
    assert len(names) == 5
    context.close()
    assert errors == [], errors
