"""`tandem routing test` and `tandem sla tick` on a real SQLite file, through Typer's runner."""

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tandem.auth.roles import Role
from tandem.cli.main import app
from tandem.db import make_engine, make_session_factory, session_scope
from tandem.handoff.models import Notification
from tandem.migrate import upgrade
from tests import factories as f

from .conftest import mql, person

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch, handoff_files):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    monkeypatch.setenv("TANDEM_ROUTING_PATH", str(handoff_files[0]))
    monkeypatch.setenv("TANDEM_SLA_PATH", str(handoff_files[1]))
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as db:
        person(db, Role.SALES_REP, "ann@example.com", "Ann Rep")
        person(db, Role.SALES_REP, "bob@example.com", "Bob Rep")
        person(db, Role.SALES_MANAGER, "boss@example.com", "Bo Manager")
        mql(db, email="ada@example.com", employees=20)
        f.contact(db, email="nobody@example.com", country="BR")
    yield factory
    engine.dispose()


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_routing_test_shows_the_rule_and_why(env):
    result = invoke("routing", "test", "ada@example.com")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "rule us -> ann@example.com"
    assert lines[1].startswith("rule 'us' matched (country US in US); round robin in us picked")
    assert lines[-1] == "SLA policy inbound, tier standard"
    fallback = invoke("routing", "test", "nobody@example.com").output
    assert "rule fallback -> queue unassigned" in fallback
    assert "1. rule 'us' skipped: country is BR, rule wants US" in fallback
    missing = runner.invoke(app, ["routing", "test", "ghost@example.com"])
    assert missing.exit_code == 1 and "no contact with id or email" in missing.output


def test_sla_tick_is_idempotent(env):
    first = invoke("sla", "tick", "--as-of", "2026-03-02T09:00:00")
    assert first.exit_code == 0, first.output
    assert "routed 1" in first.output and "escalations 0" in first.output
    late = invoke("sla", "tick", "--as-of", "2026-03-02T11:30:00")
    assert "escalations 2" in late.output  # at risk + breached (accept)
    again = invoke("sla", "tick", "--as-of", "2026-03-02T11:30:00")
    assert "routed 0" in again.output and "escalations 0" in again.output
    with session_scope(env) as db:
        assert db.scalar(select(func.count()).select_from(Notification)) == 3


def test_bad_configuration_prints_file_line_and_exits_one(env, handoff_files):
    _, sla = handoff_files
    sla.write_text(sla.read_text().replace('hours: {mon: ["09:00-17:00"], tue', "hours: {tue"))
    sla.write_text(
        sla.read_text().replace(
            "    hours: {tue", '    hours: {mon: ["09:00-12:00", "11:00-13:00"], tue'
        )
    )
    result = runner.invoke(app, ["sla", "tick"])
    assert result.exit_code == 1
    assert f"{sla}:4: error: calendars.office.hours.mon[1]: 11:00-13:00 overlaps 09:00-12:00" in (
        result.output
    )
