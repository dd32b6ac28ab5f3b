"""Fixtures for the handoff's storage, web and CLI tests: real users, YAML files, contacts.

The office calendar is Monday to Friday 09:00-17:00 UTC, so deadlines are easy to read:
a lead handed off Monday 09:00 (T0) in the standard tier must be accepted by 11:00 (at risk
from 10:30, reassigned at 12:00) and first touched by 13:00 (at risk from 12:00).
"""

import datetime as dt
import functools
from pathlib import Path
from types import SimpleNamespace

import pytest

from tandem.auth.models import User
from tandem.auth.passwords import hash_password
from tandem.auth.roles import Role
from tandem.handoff.runtime import ConfigCache
from tandem.handoff.tick import run_tick
from tandem.settings import Settings
from tests import factories as f
from tests.factories import PASSWORD, T0

ROUTING = """\
account_owner: {enabled: true}
employee_bands:
  - {name: smb, min: 1, max: 199}
  - {name: enterprise, min: 200}
teams:
  us:
    manager_id: boss@example.com
    reps:
      - {user_id: ann@example.com, capacity: 2}
      - {user_id: bob@example.com, capacity: 1}
rules:
  - {id: us, match: {country: US}, team: us}
fallback: {queue: unassigned}
"""
SLA = """\
calendars:
  office:
    timezone: UTC
    hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"],
            thu: ["09:00-17:00"], fri: ["09:00-17:00"]}
policies:
  - name: inbound
    calendar: office
    teams: [us]
    tiers:
      - {name: A, match: {grade: A}, accept_within_hours: 1, first_touch_within_hours: 2}
      - {name: standard, accept_within_hours: 2, first_touch_within_hours: 4}
    escalation:
      - {after: at_risk, action: remind_rep}
      - {after: breached, action: alert_manager}
      - {after: breached+1h, action: reassign, clocks: [accept]}
  - name: default
    calendar: office
    tiers: [{name: queue, accept_within_hours: 4, first_touch_within_hours: 8}]
mql_commitments:
  - {month: 2026-03, segment: all, target: 4}
  - {month: 2026-03, segment: enterprise, target: 2}
reject_reasons:
  - bad_fit
  - no_budget
  - {code: existing_customer, label: Already a customer, outcome: disqualified}
"""


def at(hours: float) -> dt.datetime:
    """T0 (Monday 09:00 UTC) plus `hours` of wall time."""
    return T0 + dt.timedelta(hours=hours)


@pytest.fixture
def handoff_files(tmp_path: Path) -> tuple[Path, Path]:
    routing, sla = tmp_path / "routing.yaml", tmp_path / "sla.yaml"
    routing.write_text(ROUTING)
    sla.write_text(SLA)
    return routing, sla


@pytest.fixture
def settings(engine, handoff_files) -> Settings:
    """The app's settings, pointing at the test YAML files (overrides the root fixture)."""
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        environment="test",
        routing_path=handoff_files[0],
        sla_path=handoff_files[1],
        sla_scheduler=False,
    )


@functools.cache
def password_hash() -> str:
    """PASSWORD hashed once: argon2 is slow on purpose, and each test needs four users."""
    return hash_password(PASSWORD)


def person(db, role: Role, email: str, name: str) -> User:
    """A user who can sign in with PASSWORD."""
    row = User(email=email, name=name, role=role.value, password_hash=password_hash())
    db.add(row)
    db.flush()
    return row


@pytest.fixture
def people(db) -> SimpleNamespace:
    return SimpleNamespace(
        ann=person(db, Role.SALES_REP, "ann@example.com", "Ann Rep"),
        bob=person(db, Role.SALES_REP, "bob@example.com", "Bob Rep"),
        boss=person(db, Role.SALES_MANAGER, "boss@example.com", "Bo Manager"),
        mia=person(db, Role.MARKETER, "mia@example.com", "Mia Marketer"),
    )


@pytest.fixture
def cache(handoff_files) -> ConfigCache:
    return ConfigCache(*handoff_files)


@pytest.fixture
def config(db, people, cache):
    return cache.get(db)


def mql(db, country: str = "US", employees: int | None = None, **kw):
    """A contact (at its own account) that became an MQL at T0, logged by scoring."""
    acct = kw.pop("account", None) or f.account(db, country=country, employees=employees)
    person = f.contact(
        db, account_id=acct.id, country=country, lifecycle_stage="mql", stage_entered_at=T0, **kw
    )
    f.transition(db, person, "lead", "mql", T0, actor="scoring:v1")
    return person


def tick(db, config, hours: float, **kw):
    """One scheduler tick at T0 + `hours`. The tick writes with Core statements, so objects
    the test holds are expired to be read again (in production a tick has its own session)."""
    report = run_tick(db, config, as_of=at(hours), **kw)
    db.expire_all()
    return report


@pytest.fixture
def lead(db, people, config):
    """Ada, an MQL from the Spring Webinar, routed to Ann at T0."""
    webinar = f.campaign(db, name="Spring Webinar", channel="webinar")
    guide = f.asset(db, title="Guide to Attribution", journey_stage="decision")
    acct = f.account(db, name="Helix Labs", country="US")
    ceo = f.contact(db, first_name="Cee", account_id=acct.id, buying_role="decision_maker")
    f.opportunity(db, acct, name="Helix expansion", contacts=[(ceo, "decision_maker")])
    ada = mql(
        db,
        account=acct,
        first_name="Ada",
        last_name="Lovelace",
        first_touch_source="linkedin",
        first_touch_campaign_id=webinar.id,
        first_touch_landing_page="/webinars/spring",
    )
    f.activity(db, ada, "webinar_attend", at(-30), campaign_id=webinar.id)
    f.activity(db, ada, "content_download", at(-2), asset_id=guide.id)
    tick(db, config, 0)
    return ada
