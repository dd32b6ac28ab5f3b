"""In real headless Chromium: a marketer answers through the one-time link, the link then
refuses a second use, and the alignment page shows the wave."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.alignment import service
from tandem.alignment.models import SurveyResponse
from tandem.auth.roles import Role
from tandem.db import make_engine
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.e2e.test_browser import browser, running  # noqa: F401 (the browser fixture)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
AT = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_answering_a_survey_in_the_browser(tmp_path, browser):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'survey.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        marketer = f.user(db, role=Role.MARKETER, email="mo@example.com")
        f.user(db, role=Role.EXECUTIVE, email="cro@example.com")
        wave = service.open_wave(db_session=db, name="2026-Q4", at=AT)
        [(_, token)] = service.invite(
            db_session=db, wave=wave, invitees=[service.Invitee(marketer.email, "marketing")], at=AT
        )
        db.commit()
    with running(create_app(Settings(database_url=url, environment="test"))) as base:
        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{base}/survey/{token}")
        assert "Tandem alignment survey" in page.locator("h1").inner_text()
        page.check("#st-leads_accepted input[value='4']")
        page.check("#st-one_system input[value='2']")
        page.fill("#st-improve textarea", "Shared pipeline reviews every week")
        with page.expect_navigation():
            page.click("text=Send my answers")
        assert "your answers are in" in page.locator("#thanks").inner_text()
        page.goto(f"{base}/survey/{token}")
        assert page.locator("[role=alert]").inner_text() == "this survey link was used already"
        page.goto(f"{base}/login?next=/alignment")
        page.fill("input[name=email]", "cro@example.com")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "2026-Q4" in page.locator("#waves").inner_text()
    with Session(engine) as db:
        stored = {(r.statement, r.answer, r.comment) for r in db.scalars(select(SurveyResponse))}
    assert stored == {
        ("leads_accepted", 4, None),
        ("one_system", 2, None),
        ("improve", None, "Shared pipeline reviews every week"),
    }
