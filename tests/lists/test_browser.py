"""In real headless Chromium: a manager filters contacts by owner name, saves the view, ticks
rows and assigns them to a rep, then exports the filter as CSV."""

import csv
import io
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.audit.models import AuditEvent
from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.db import make_engine
from tandem.lists.models import SavedView
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.e2e.test_browser import browser, running  # noqa: F401 - the shared Chromium
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lists_server(tmp_path_factory) -> Iterator[tuple[str, str, dict]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('lists') / 'lists.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        manager = f.user(db, Role.SALES_MANAGER, email="mia@example.com", name="Mia Manager")
        ann = f.user(db, Role.SALES_REP, email="ann@example.com", name="Ann Rep")
        bob = f.user(db, Role.SALES_REP, email="bob@example.com", name="Bob Rep")
        for i in range(6):
            f.contact(db, first_name=f"Annie{i}", last_name="Lead", owner_id=ann.id)
        for i in range(3):
            f.contact(db, first_name=f"Bobby{i}", last_name="Lead", owner_id=bob.id)
        db.commit()
        seeded = {"manager": manager.id, "ann": ann.id, "bob": bob.id}
    with running(create_app(Settings(database_url=url, environment="test"))) as base:
        yield base, url, seeded


def test_a_manager_filters_by_owner_name_saves_a_view_bulk_assigns_and_exports(
    lists_server,
    browser,  # noqa: F811
):
    base, url, seeded = lists_server
    page = browser.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "mia@example.com")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"{base}/contacts")
    page.select_option("#list-filters select[name=owner]", "Bob Rep")
    with page.expect_navigation():
        page.click("#list-filters button[type=submit]")
    assert page.locator("#list-total").inner_text().startswith("1–3 of 3")
    assert page.locator("#contacts tbody tr").count() == 3
    page.fill("#save-view input[name=name]", "Bob's contacts")
    page.check("#save-view input[name=shared]")
    with page.expect_navigation():
        page.click("#save-view button[type=submit]")
    assert page.locator("#saved-views a", has_text="Bob's contacts").count() == 1
    # Tick two of Bob's contacts and give them to Ann.
    boxes = page.locator("#contacts tbody input[name=ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.select_option("#bulk select[name=action]", "assign")
    page.select_option("#bulk select[name=owner_id]", str(seeded["ann"]))
    with page.expect_navigation():
        page.click("#bulk button[type=submit]")
    assert "2 changed" in page.locator("#bulk-result").inner_text()
    assert page.locator("#list-total").inner_text().startswith("1–1 of 1")
    with page.expect_download() as download:
        page.click("#export")
    body = download.value.path().read_text()
    rows = list(csv.DictReader(io.StringIO(body)))
    engine = make_engine(url)
    with Session(engine) as db:
        bobs = set(db.scalars(select(Contact.id).where(Contact.owner_id == seeded["bob"])))
        audited = db.scalars(select(AuditEvent).where(AuditEvent.action == "list.assign")).all()
        view = db.scalars(select(SavedView)).one()
    assert {int(r["id"]) for r in rows} == bobs and len(bobs) == 1
    assert {r["Owner"] for r in rows} == {"Bob Rep"}
    assert len(audited) == 2 and {e.actor_user_id for e in audited} == {seeded["manager"]}
    assert view.shared and "owner=Bob+Rep" in view.query
    assert errors == [], errors
