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
