"""Docs as tests: every configuration field and command of the handoff is in docs/handoff.md."""

from pathlib import Path

import pytest
from pydantic import BaseModel

from tandem.handoff.calendar import BusinessCalendar, Holiday
from tandem.handoff.cli import app
from tandem.handoff.commitments import MqlCommitment
from tandem.handoff.reasons import RejectReason
from tandem.handoff.routing_rules import (
    AccountOwnerRule,
    EmployeeBand,
    Fallback,
    Rep,
    RoutingMatch,
    RoutingRules,
    Team,
    TerritoryRule,
)
from tandem.handoff.sla_rules import EscalationStep, SlaConfig, SlaPolicy, SlaTier, TierMatch

DOC = (Path(__file__).parents[2] / "docs" / "handoff.md").read_text()
MODELS: list[type[BaseModel]] = [
    BusinessCalendar, Holiday, MqlCommitment, RejectReason, AccountOwnerRule, EmployeeBand,
    Fallback, Rep, RoutingMatch, RoutingRules, Team, TerritoryRule, EscalationStep, SlaConfig,
    SlaPolicy, SlaTier, TierMatch,
]  # fmt: skip


@pytest.mark.parametrize("field", sorted({f for m in MODELS for f in m.model_fields}), ids=str)
def test_every_config_field_is_documented(field):
    assert f"`{field}`" in DOC


def test_every_command_is_documented():
    names = [c.name for c in app.registered_commands]
    assert names == ["validate-routing", "validate-sla"]
    for name in names:
        assert f"`{name} FILE`" in DOC


HANDOFF_SETTINGS = [
    "routing_path", "sla_path", "sla_scheduler", "sla_tick_seconds", "digest_hours", "public_url",
    "smtp_host", "smtp_port", "smtp_from", "smtp_username", "smtp_password", "smtp_starttls",
]  # fmt: skip


@pytest.mark.parametrize("name", HANDOFF_SETTINGS)
def test_every_handoff_setting_is_documented(name):
    from tandem.settings import Settings

    assert name in Settings.model_fields
    assert f"`TANDEM_{name.upper()}`" in DOC


def test_the_live_commands_and_pages_are_documented():
    from tandem.handoff.ops_cli import routing_app, sla_app

    assert [c.name for c in routing_app.registered_commands] == ["test"]
    assert [c.name for c in sla_app.registered_commands] == ["tick"]
    for text in (
        "`tandem routing test CONTACT`",
        "`tandem sla tick`",
        "/handoff/queue",
        "/api/v1/handoff/leads/{contact_id}/reject",
        "bench/handoff_bench.py",
    ):
        assert text in DOC, text
