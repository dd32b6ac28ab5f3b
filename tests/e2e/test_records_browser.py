"""In real Chromium: a rep logs a call on a lead and creates a task, a second browser's stale
edit is told (with its input kept), and a deal dragged on the pipeline board changes stage."""

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.activities.models import Activity
from tandem.db import make_engine
from tandem.lifecycle.models import DealStageTransition
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.e2e.test_browser import browser, running  # noqa: F401
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('records-e2e') / 'e2e.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        rep = f.user(db, name="Eve Rep", email="eve@example.com")
        boss = f.user(db, f.Role.SALES_MANAGER, name="Max Boss", email="max@example.com")
        acct = f.account(db, name="Lumen Health", owner_id=rep.id)
        lead = f.contact(
            db, first_name="Grace", last_name="Hopper", account_id=acct.id, owner_id=rep.id
        )
        deal = f.opportunity(db, acct, owner_id=rep.id, name="Lumen pilot")
        db.commit()
        ids = {"lead": lead.id, "deal": deal.id, "boss": boss.id}
    with running(create_app(Settings(database_url=url, environment="test"))) as base:
        yield base, ids, engine


def _signed_in(browser, base, email):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def test_a_rep_logs_a_call_and_creates_a_task(world, browser):  # noqa: F811
    base, ids, engine = world
    page = _signed_in(browser, base, "eve@example.com")
    page.goto(f"{base}/contacts/{ids['lead']}")
    page.select_option("#entry-kind", "call")
    page.fill("#entry-subject", "Intro call: budget confirmed")
    with page.expect_navigation():
        page.click("#entry-form button[type=submit]")
    assert "Intro call: budget confirmed" in page.locator("#entry-list").inner_text()
    page.select_option("#entry-kind", "task")
    page.fill("#entry-subject", "Send the pilot proposal")
    page.fill("#entry-due", (dt.date.today() - dt.timedelta(days=1)).isoformat())
    with page.expect_navigation():
        page.click("#entry-form button[type=submit]")
    page.goto(f"{base}/tasks")
    row = page.locator("#tasks tbody tr").first
    assert "Send the pilot proposal" in row.inner_text() and "overdue" in row.inner_text()
    with Session(engine) as db:
        calls = db.scalars(select(Activity.type).where(Activity.contact_id == ids["lead"])).all()
    assert calls == ["sales_call"]


def test_a_second_browsers_stale_edit_is_told_and_its_input_kept(world, browser):  # noqa: F811
    base, ids, _ = world
    first = _signed_in(browser, base, "eve@example.com")
    second = _signed_in(browser, base, "max@example.com")
    for page in (first, second):
        page.goto(f"{base}/contacts/{ids['lead']}/edit")
    first.fill("#f-title", "VP Engineering")
    with first.expect_navigation():
        first.click("form.record-form button[type=submit]")
    second.fill("#f-title", "Chief Architect")
    with second.expect_navigation():
        second.click("form.record-form button[type=submit]")
    assert "changed by Eve Rep" in second.locator("#form-error").inner_text()
    assert second.input_value("#f-title") == "Chief Architect"  # nothing lost
    assert "VP Engineering" in second.locator(".theirs[data-field=title]").inner_text()
    with second.expect_navigation():  # saving again, having seen theirs, replaces it
        second.click("form.record-form button[type=submit]")
    assert "Chief Architect" in second.content()


def test_dragging_a_deal_on_the_board_moves_it_through_the_lifecycle(world, browser):  # noqa: F811
    base, ids, engine = world
    page = _signed_in(browser, base, "eve@example.com")
    page.goto(f"{base}/opportunities/board")
    card = f"#deal-{ids['deal']}"
    with page.expect_navigation():
        page.drag_and_drop(card, ".board-column[data-stage=proposal]")
    assert page.locator(f".board-column[data-stage=proposal] {card}").count() == 1
    # Closed lost asks for its reason instead of moving.
    page.drag_and_drop(card, ".board-column[data-stage=closed_lost]")
    assert page.locator(f"{card} details.move").get_attribute("open") is not None
    with Session(engine) as db:
        moves = db.execute(
            select(DealStageTransition.from_stage, DealStageTransition.to_stage).where(
                DealStageTransition.opportunity_id == ids["deal"]
            )
        ).all()
    assert moves == [("discovery", "proposal")]
