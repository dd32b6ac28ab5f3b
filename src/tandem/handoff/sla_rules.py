"""SLA policy definitions as read from YAML: calendars, tiers, escalation ladder, commitments."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from tandem.definitions.base import ConfigModel, Frozen, as_tuple
from tandem.handoff.calendar import BusinessCalendar
from tandem.handoff.commitments import MqlCommitment
from tandem.handoff.reasons import (
    DEFAULT_ACCOUNT_REJECT_REASONS,
    DEFAULT_REJECT_REASONS,
    RejectReason,
)

#: What a handoff hands to sales (`tandem.handoff.models.Subject`, kept apart: this is pure).
LEAD = "lead"
ACCOUNT_SUBJECTS = ("account", "expansion", "churn_risk")
SUBJECTS = (LEAD, *ACCOUNT_SUBJECTS)
SubjectName = Literal["lead", "account", "expansion", "churn_risk"]
#: Deadlines (business hours) of an account subject no policy targets: an MQA or a signal is
#: accepted within one business day of an 8-hour calendar and first touched within two.
DEFAULT_ACCEPT_HOURS = 8.0
DEFAULT_FIRST_TOUCH_HOURS = 16.0


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
    """An SLA policy: the team calendar it runs on, tiers (first match wins) and the ladder.

    `subjects` are the kinds of handoff it covers (lead, account, expansion, churn_risk);
    a policy naming none covers leads, as every policy did before accounts were handed off.
    """

    name: str
    calendar: str
    teams: tuple[str, ...] = ()
    subjects: tuple[SubjectName, ...] = ()
    tiers: tuple[SlaTier, ...] = Field(min_length=1)
    escalation: tuple[EscalationStep, ...] = ()

    _single = field_validator("teams", "subjects", mode="before")(as_tuple)

    def covers(self, subject: str) -> bool:
        """True when this policy's clocks apply to handoffs of `subject`."""
        return subject in self.subjects if self.subjects else subject == LEAD

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
    #: Reject reasons of account handoffs per subject (account, expansion, churn_risk); a
    #: subject not listed takes the built-in list. Their `outcome` is not used: an account
    #: has no lifecycle stage to go back to.
    account_reject_reasons: dict[SubjectName, tuple[RejectReason, ...]] = {}

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

    def policy_for_team(self, team: str | None, subject: str = LEAD) -> SlaPolicy | None:
        """The policy covering `subject` that lists `team`, else the first covering it that
        lists no teams (the default); for an account subject no policy names, the lead
        policy's calendar and ladder with the default deadlines (`subject_defaults`)."""
        covering = [p for p in self.all_policies if p.covers(subject)]
        for policy in covering:
            if team is not None and team in policy.teams:
                return policy
        return next((p for p in covering if not p.teams), None)

    @cached_property
    def all_policies(self) -> tuple[SlaPolicy, ...]:
        """The configured policies and the derived ones of account subjects none covers."""
        return self.policies + self.subject_defaults

    @cached_property
    def subject_defaults(self) -> tuple[SlaPolicy, ...]:
        """For each account subject no configured policy covers, one policy per lead policy
        (named `<policy>:<subject>`): its calendar, teams and escalation ladder, one tier with
        the default deadlines."""
        tier = SlaTier(
            name="standard",
            accept_within_hours=DEFAULT_ACCEPT_HOURS,
            first_touch_within_hours=DEFAULT_FIRST_TOUCH_HOURS,
        )
        return tuple(
            policy.model_copy(
                update={
                    "name": f"{policy.name}:{subject}",
                    "subjects": (subject,),
                    "tiers": (tier,),
                }
            )
            for subject in ACCOUNT_SUBJECTS
            if not any(p.covers(subject) for p in self.policies)
            for policy in self.policies
            if policy.covers(LEAD)
        )

    def reasons_for(self, subject: str) -> tuple[RejectReason, ...]:
        """The reject reasons sales chooses from for a handoff of `subject`."""
        if subject == LEAD:
            return self.reject_reasons
        found = self.account_reject_reasons.get(subject)  # type: ignore[call-overload]
        return found if found else DEFAULT_ACCOUNT_REJECT_REASONS[subject]
