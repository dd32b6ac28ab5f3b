"""In real headless Chromium: a rep accepts an MQA from their queue, beside their leads."""

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.auth.roles import Role
from tandem.db import make_engine
from tandem.handoff.account_intake import AccountEpisode, hand_off_accounts
from tandem.handoff.models import Handoff
from tandem.handoff.runtime import ConfigCache
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.e2e.test_browser import browser, running  # noqa: F401 (the fixture)
from tests.factories import PASSWORD, T0

from .conftest import ROUTING, SLA, person

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[tuple[str, str, int]]:
    """A real uvicorn server over SQLite: Ann owns an account handed to her as an MQA."""
    folder = tmp_path_factory.mktemp("e2e-accounts")
    url = f"sqlite:///{folder / 'e2e.db'}"
    (folder / "routing.yaml").write_text(ROUTING)
    (folder / "sla.yaml").write_text(SLA)
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        ann = person(db, Role.SALES_REP, "ann@example.com", "Ann Rep")
        person(db, Role.SALES_REP, "bob@example.com", "Bob Rep")
        person(db, Role.SALES_MANAGER, "boss@example.com", "Bo Manager")
        acct = f.account(db, name="Orbit Dynamics", country="US", owner_id=ann.id)
        config = ConfigCache(folder / "routing.yaml", folder / "sla.yaml").get(db)
        episode = AccountEpisode(acct.id, "account", T0, f"mqa:{T0.isoformat()}", "test")
        hand_off_accounts(db, config, [episode], as_of=T0)
        db.commit()
        account_id = acct.id
    settings = Settings(
        database_url=url,
        environment="test",
        routing_path=folder / "routing.yaml",
        sla_path=folder / "sla.yaml",
        sla_scheduler=False,
    )
    with running(create_app(settings)) as base:
        yield base, url, account_id


def test_a_rep_accepts_an_mqa_from_the_queue(live_server, browser):  # noqa: F811
    base, url, account_id = live_server
    page = browser.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/login?next=/handoff/queue")
    page.fill("input[name=email]", "ann@example.com")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{base}/handoff/queue"
    row = page.locator(f"#to-decide tr[data-account='{account_id}']")
    assert row.locator(".subject").inner_text() == "MQA"
    assert "Orbit Dynamics" in row.inner_text()
    with page.expect_navigation():
        row.locator("button", has_text="Accept").click()
    assert page.url == f"{base}/handoff/queue?done=accepted-account:{account_id}"
    assert page.locator("#done").inner_text().startswith("Account handoff accepted.")
    assert page.locator(f"#to-decide tr[data-account='{account_id}']").count() == 0
    with Session(make_engine(url)) as db:
        status = db.scalar(select(Handoff.status).where(Handoff.account_id == account_id))
    assert status == "accepted"
    assert errors == [], errors
