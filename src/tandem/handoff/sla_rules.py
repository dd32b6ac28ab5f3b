"""SLA policy definitions as read from YAML: calendars, tiers, escalation ladder, commitments."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import Field, field_validator, model_validator

from tandem.definitions.base import ConfigModel, Frozen, as_tuple
from tandem.handoff.calendar import BusinessCalendar
from tandem.handoff.commitments import MqlCommitment
from tandem.handoff.reasons import DEFAULT_REJECT_REASONS, RejectReason


class ClockName(StrEnum):
    """The two SLA clocks started when a lead becomes an MQL."""

    ACCEPT = "accept"
    FIRST_TOUCH = "first_touch"


class Trigger(StrEnum):
    """The clock event an escalation step counts from."""

    AT_RISK = "at_risk"
    BREACHED = "breached"


class Action(StrEnum):
    """What an escalation step does; the scheduler carries it out."""

    REMIND_REP = "remind_rep"
    ALERT_MANAGER = "alert_manager"
    REASSIGN = "reassign"


class TierMatch(ConfigModel):
    """Which leads a tier covers; every listed field must match, an empty match covers all."""

    grade: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    is_target: bool | None = None

    _single = field_validator("grade", "segment", "region", mode="before")(as_tuple)

    @property
    def is_catch_all(self) -> bool:
        """True when this match covers every lead."""
        return not (self.grade or self.segment or self.region) and self.is_target is None


class TierFacts(Frozen):
    """What tier selection looks at for one lead."""

    grade: str | None = None
    segment: str | None = None
    region: str | None = None
    is_target: bool | None = None


class SlaTier(ConfigModel):
    """Deadlines, in business hours from the MQL moment, for the leads this tier matches."""

    name: str
    match: TierMatch = TierMatch()
    accept_within_hours: float = Field(gt=0)
    first_touch_within_hours: float = Field(gt=0)
    at_risk_fraction: float = Field(0.75, gt=0, lt=1)

    def matches(self, facts: TierFacts) -> bool:
        """True when the lead described by `facts` falls in this tier."""
        m = self.match
        for allowed, value in (
            (m.grade, facts.grade),
            (m.segment, facts.segment),
            (m.region, facts.region),
        ):
            if allowed and (
                value is None or value.casefold() not in {a.casefold() for a in allowed}
            ):
                return False
        return m.is_target is None or m.is_target == facts.is_target


_AFTER = re.compile(r"^(at_risk|breached)(?:\s*\+\s*(\d+(?:\.\d+)?)\s*(h|m))?$")


class EscalationStep(ConfigModel):
    """One rung of the ladder: `after` is at_risk, breached, or e.g. breached+4h (business time)."""

    after: str
    action: Action
    clocks: tuple[ClockName, ...] = (ClockName.ACCEPT, ClockName.FIRST_TOUCH)

    _single = field_validator("clocks", mode="before")(as_tuple)

    @field_validator("after")
    @classmethod
    def _parse_after(cls, value: str) -> str:
        if not _AFTER.match(value.strip()):
            raise ValueError(
                f"expected at_risk, breached or e.g. breached+4h / at_risk+30m, got {value!r}"
            )
        return value.replace(" ", "")

    @cached_property
    def trigger(self) -> Trigger:
        """The clock event this step counts from."""
        return Trigger(_AFTER.match(self.after).group(1))  # type: ignore[union-attr]

    @cached_property
    def delay(self) -> dt.timedelta:
        """Business time after the trigger event."""
        m = _AFTER.match(self.after)
        assert m is not None
        if not m.group(2):
            return dt.timedelta(0)
        amount = float(m.group(2))
        return dt.timedelta(hours=amount) if m.group(3) == "h" else dt.timedelta(minutes=amount)


class SlaPolicy(ConfigModel):
    """An SLA policy: the team calendar it runs on, tiers (first match wins) and the ladder."""

    name: str
    calendar: str
    teams: tuple[str, ...] = ()
    tiers: tuple[SlaTier, ...] = Field(min_length=1)
    escalation: tuple[EscalationStep, ...] = ()

    _single = field_validator("teams", mode="before")(as_tuple)

    def select_tier(self, facts: TierFacts) -> SlaTier | None:
        """The first tier matching the lead, or None when no tier covers it."""
        return next((t for t in self.tiers if t.matches(facts)), None)


class SlaConfig(ConfigModel):
    """One SLA file: calendars by name, policies, MQL commitments and reject reasons."""

    version: int = 1
    calendars: dict[str, BusinessCalendar]
    policies: tuple[SlaPolicy, ...] = Field(min_length=1)
    mql_commitments: tuple[MqlCommitment, ...] = ()
    reject_reasons: tuple[RejectReason, ...] = DEFAULT_REJECT_REASONS

    @model_validator(mode="before")
    @classmethod
    def _no_null_lists(cls, value: Any) -> Any:
        # `reject_reasons:` left empty in YAML means "use the defaults", not "no reasons".
        if isinstance(value, dict) and value.get("reject_reasons") is None:
            value = {k: v for k, v in value.items() if k != "reject_reasons"}
        return value

    def calendar_for(self, policy: SlaPolicy) -> BusinessCalendar:
        """The calendar a policy runs on (KeyError names it if missing; validation catches it)."""
        try:
            return self.calendars[policy.calendar]
        except KeyError:
            raise KeyError(
                f"policy {policy.name!r} uses unknown calendar {policy.calendar!r}"
            ) from None

    def policy_for_team(self, team: str | None) -> SlaPolicy | None:
        """The policy listing `team`, else the first policy that lists no teams (the default)."""
        for policy in self.policies:
            if team is not None and team in policy.teams:
                return policy
        return next((p for p in self.policies if not p.teams), None)
