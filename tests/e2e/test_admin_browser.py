"""The admin screens in real headless Chromium against a uvicorn server: an admin invites a user
whose email an aiosmtpd server on loopback receives, the invitee follows the link, chooses a
password and signs in; a manager fixes a bad routing line, tests a contact, proposes, an admin
approves and the contact's new owner shows; a marketer imports a list, fixes its bad row in the
page and imports it again."""

import re
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.db import make_engine, utcnow
from tandem.definitions import service
from tandem.handoff.definitions import ROUTING as ROUTING_KIND
from tandem.handoff.definitions import SLA as SLA_KIND
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.e2e.test_browser import browser, running  # noqa: F401 (the fixture)
from tests.factories import PASSWORD
from tests.handoff.conftest import ROUTING, SLA
from tests.handoff.test_admin_pages import EAST
from tests.handoff.test_mail import Inbox, free_port

pytestmark = pytest.mark.browser
LIST = "E-mail,First Name\nana@acme.example,Ana\nbad-email,Bo\ncy@acme.example,Cy\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, Inbox, object]]:
    """Server, inbox and engine: admin, manager, reps, marketer, routing and SLA in force."""
    folder = tmp_path_factory.mktemp("admin-e2e")
    url = f"sqlite:///{folder / 'admin.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        f.user(db, Role.ADMIN, email="ops@example.com", name="Olu Ops")
        f.user(db, Role.SALES_MANAGER, email="boss@example.com", name="Bea Boss")
        f.user(db, Role.SALES_REP, email="ann@example.com", name="Ann")
        f.user(db, Role.SALES_REP, email="bob@example.com", name="Bob")
        f.user(db, Role.MARKETER, email="mia@example.com", name="Mia")
        for kind, text in ((ROUTING_KIND, ROUTING), (SLA_KIND, SLA)):
            service.adopt(db_session=db, kind=kind, text=text, source="test", at=utcnow())
        f.contact(db, email="lee@acme.example", country="US")
        db.commit()
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = Settings(
        database_url=url,
        environment="test",
        sla_scheduler=False,
        smtp_host="127.0.0.1",
        smtp_port=port,
        data_dir=folder,
    )
    try:
        with running(create_app(settings)) as base:
            yield base, inbox, engine
    finally:
        controller.stop()


def _page(browser, base):  # noqa: F811
    page = browser.new_context().new_page()
    page.set_default_timeout(60_000)  # small, busy machines
    page.base = base
    return page


def _sign_in(page, email, password=PASSWORD):
    page.goto(f"{page.base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_admin_invites_a_user_who_sets_a_password_and_signs_in(site, browser):  # noqa: F811
    base, inbox, _ = site
    admin = _page(browser, base)
    _sign_in(admin, "ops@example.com")
    admin.click("a[href='/admin/users']")
    admin.fill("#invite input[name=email]", "nia@example.com")
    admin.fill("#invite input[name=name]", "Nia Okafor")
    admin.select_option("#invite select[name=role]", "marketer")
    with admin.expect_navigation():
        admin.click("#invite-button")
    assert "Invitation sent to nia@example.com" in admin.inner_text("#sent")
    (msg,) = inbox.to("nia@example.com")
    link = re.search(r"http://\S+/password/\S+", msg.get_content()).group(0)

    invitee = _page(browser, base)
    invitee.goto(link)
    invitee.fill("input[name=password]", "a new s3cret")
    invitee.fill("input[name=repeat]", "a new s3cret")
    with invitee.expect_navigation():
        invitee.click("#set-password")
    assert "/login" in invitee.url
    _sign_in(invitee, "nia@example.com", "a new s3cret")
    assert invitee.url == f"{base}/" and "Nia Okafor" in invitee.inner_text(".who")
    assert 'href="/admin/users"' not in invitee.content()  # a marketer is not shown the link
    assert invitee.goto(f"{base}/admin/users").status == 403
    admin.goto(f"{base}/admin/users")
    row = admin.locator("#users tr", has_text="nia@example.com").inner_text()
    assert "Marketer" in row and "active" in row  # the role shown with its label


def test_a_manager_fixes_routing_tests_a_contact_and_an_admin_approves(site, browser):  # noqa: F811
    base, _, _ = site
    boss = _page(browser, base)
    _sign_in(boss, "boss@example.com")
    boss.goto(f"{base}/admin/routing")
    boss.fill("textarea[name=text]", EAST.replace("team: east}", "team: eest}"))
    boss.fill("#propose input[name=contact]", "lee@acme.example")
    with boss.expect_navigation():
        boss.click("#preview-button")
    issues = boss.inner_text("#issues")
    assert "line 15:" in issues and "unknown team 'eest'" in issues
    boss.fill("textarea[name=text]", EAST)
    with boss.expect_navigation():
        boss.click("#preview-button")
    assert boss.inner_text("#preview-proposed .owner") == "bob@example.com"
    assert boss.inner_text("#preview-current .owner") == "ann@example.com"
    with boss.expect_navigation():
        boss.click("#propose-button")
    assert "proposed v2" in boss.inner_text("#done")

    ops = _page(browser, base)
    _sign_in(ops, "ops@example.com")
    ops.goto(f"{base}/admin/routing")
    with ops.expect_navigation():
        ops.click("button.approve")
    assert "active v2" in ops.inner_text("#done")
    ops.fill("#propose input[name=contact]", "lee@acme.example")
    with ops.expect_navigation():
        ops.click("#preview-button")
    assert ops.inner_text("#preview-current .owner") == "bob@example.com"


def test_a_marketer_imports_fixes_the_bad_row_and_reimports(site, browser, tmp_path):  # noqa: F811
    base, _, engine = site
    upload = tmp_path / "list.csv"
    upload.write_text(LIST)
    mia = _page(browser, base)
    _sign_in(mia, "mia@example.com")
    mia.click("a[href='/ingest']")
    mia.set_input_files("input[name=file]", str(upload))
    mia.select_option("select[name=kind]", "contacts")
    mia.select_option("select[name=profile]", "generic")
    with mia.expect_navigation():
        mia.click("button[type=submit]:has-text('Preview')")
    mia.select_option("select[aria-label='Field for E-mail']", "email")
    with mia.expect_navigation():
        mia.click("#remap")
    assert "not a valid email" in mia.inner_text("#preview-rows")
    with mia.expect_navigation():
        mia.click("#import")
    assert "3 rows: 2 new, 0 updated, 0 unchanged, 1 quarantined" in mia.inner_text("#summary")
    mia.fill("#fix-rows input[value='bad-email']", "bo@acme.example")
    with mia.expect_navigation():
        mia.click("#reimport")
    assert "1 rows: 1 new, 0 updated, 0 unchanged, 0 quarantined" in mia.inner_text("#summary")
    with Session(engine) as db:
        emails = db.scalars(select(Contact.email).where(Contact.email.like("%@acme.example")))
        assert sorted(emails) == [
            "ana@acme.example",
            "bo@acme.example",
            "cy@acme.example",
            "lee@acme.example",
        ]
        assert db.scalar(select(func.count()).select_from(Contact)) == 4  # nothing twice
