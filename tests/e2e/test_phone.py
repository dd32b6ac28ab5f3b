"""The rep's queue and the lead packet at phone width (390 px) in real Chromium: no
horizontal scroll, even with a 3,000-character name; the bell opens its menu."""

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tandem.auth.roles import Role
from tandem.db import make_engine
from tandem.handoff.runtime import ConfigCache
from tandem.handoff.tick import run_tick
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests.e2e.test_browser import browser, running  # noqa: F401 (the fixture)
from tests.factories import PASSWORD
from tests.handoff.conftest import ROUTING, SLA, at, mql, person

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LONG = "Maximiliane" * 272  # 2,992 characters, no space to break at


@pytest.fixture(scope="module")
def phone_server(tmp_path_factory) -> Iterator[tuple[str, int]]:
    folder = tmp_path_factory.mktemp("phone")
    (folder / "routing.yaml").write_text(ROUTING)
    (folder / "sla.yaml").write_text(SLA)
    url = f"sqlite:///{folder / 'phone.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        person(db, Role.SALES_REP, "ann@example.com", "Ann Rep")
        person(db, Role.SALES_REP, "bob@example.com", "Bob Rep")
        person(db, Role.SALES_MANAGER, "boss@example.com", "Bo Manager")
        lead = mql(db, first_name=LONG, last_name="Lovelace", title="Head of " + "x" * 500)
        config = ConfigCache(folder / "routing.yaml", folder / "sla.yaml").get(db)
        run_tick(db, config, as_of=at(0))
        db.commit()
        lead_id = lead.id
    settings = Settings(
        database_url=url,
        environment="test",
        routing_path=folder / "routing.yaml",
        sla_path=folder / "sla.yaml",
    )
    with running(create_app(settings)) as base:
        yield base, lead_id


#: The elements sticking out past the right edge (the deepest ones: what to fix).
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .filter(e => !e.closest('table, pre, [hidden], details:not([open]) > div'))
  .map(e => e.tagName + '.' + e.className + '#' + e.id)
  .slice(0, 10)"""


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (width, page.evaluate(WIDE))


def test_queue_and_packet_fit_a_phone(phone_server, browser):  # noqa: F811
    base, lead_id = phone_server
    page = browser.new_page(viewport=PHONE)
    page.set_default_timeout(60_000)
    page.goto(f"{base}/login?next=/handoff/queue")
    page.fill("input[name=email]", "ann@example.com")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/handoff/queue")
    assert LONG[:40] in page.locator("#to-decide").inner_text()
    _no_sideways_scroll(page)
    page.goto(f"{base}/handoff/leads/{lead_id}")
    _no_sideways_scroll(page)
    page.goto(f"{base}/")
    assert page.locator("#home-queue").is_visible()
    _no_sideways_scroll(page)
    page.click("#bell summary")
    menu = page.locator(".bell-menu")
    assert menu.is_visible() and "All notifications" in menu.inner_text()
    box = menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
