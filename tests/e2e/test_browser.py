"""End to end in real headless Chromium: sign in, search, open a contact and its account."""

import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from sqlalchemy.orm import Session

from tandem.db import make_engine
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.factories import PASSWORD, T0

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running(app) -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    """A real uvicorn server on loopback over a seeded SQLite database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        rep = f.user(db, name="Eve Rep", email="eve@example.com")
        acct = f.account(db, name="Lumen Health", industry="healthcare")
        person = f.contact(
            db,
            first_name="Grace",
            last_name="Hopper",
            account_id=acct.id,
            buying_role="champion",
            lifecycle_stage="mql",
            owner_id=rep.id,
        )
        guide = f.asset(db, title="ROI Calculator", journey_stage="decision")
        f.activity(db, person, "web_visit", T0)
        f.activity(db, person, "content_download", T0.replace(day=3), asset_id=guide.id)
        db.commit()
        seeded = {"contact_id": person.id, "account_id": acct.id}
    with running(create_app(Settings(database_url=url, environment="test"))) as base:
        yield base, seeded


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        message = "Chromium not installed: run `make test` as root (it installs Debian's chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        sys.stderr.write(f"\n*** BROWSER TESTS SKIPPED: {message} ***\n")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


def test_sign_in_search_and_open_contact_and_account(live_server, browser):
    base, seeded = live_server
    page = browser.new_page()
    page.set_default_timeout(60_000)  # CI machines are small and may be busy
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/contacts")
    assert page.url.endswith("/login?next=/contacts")
    page.fill("input[name=email]", "eve@example.com")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "Email or password is incorrect."
    assert page.input_value("input[name=email]") == "eve@example.com"
    page.fill("input[name=password]", PASSWORD)
    errors.clear()  # the refused sign-in above was a 401, logged by the browser as an error
    with page.expect_navigation(timeout=60_000):
        page.click("button[type=submit]")
    assert page.url == f"{base}/contacts", (page.url, page.content()[:2000])
    page.fill("main input[name=q]", "grace")
    page.click("text=Filter")
    page.click("text=Grace Hopper")
    page.wait_for_url(f"{base}/contacts/{seeded['contact_id']}")
    assert page.locator("#contact-name").inner_text() == "Grace Hopper"
    assert page.locator("#contact-stage").inner_text() == "mql"
    items = page.locator("#timeline li strong").all_inner_texts()
    assert items == ["Web visit", "Content download"]
    assert "ROI Calculator" in page.locator("#content").inner_text()
    page.click("text=Lumen Health")
    page.wait_for_url(f"{base}/accounts/{seeded['account_id']}")
    assert "Grace Hopper" in page.locator("#committee").inner_text()
    assert errors == [], errors


def test_the_top_bar_search_suggests_as_you_type_and_opens_with_the_keyboard(live_server, browser):
    base, seeded = live_server
    page = browser.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "eve@example.com")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    box = page.locator("header input[name=q]")
    box.type("hop")
    option = page.locator("#search-suggestions [role=option]").first
    option.wait_for()
    assert option.inner_text().startswith("Grace Hopper")
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    with page.expect_navigation():
        box.press("Enter")
    assert page.url == f"{base}/contacts/{seeded['contact_id']}"
    box = page.locator("header input[name=q]")
    box.fill("lumen")
    with page.expect_navigation():
        box.press("Enter")  # no suggestion chosen: the results page
    assert page.url.startswith(f"{base}/search?q=lumen")
    assert "Lumen Health" in page.locator("[data-kind=account]").inner_text()
    assert errors == [], errors
