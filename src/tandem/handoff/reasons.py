"""Reject reasons: why sales turned an MQL down, as codes marketing can count and act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from tandem.definitions.base import ConfigModel
from tandem.lifecycle.moves import Move, check_move
from tandem.lifecycle.stages import Stage


class RejectReason(ConfigModel):
    """A reject reason code, its label, and where a rejected lead goes (nurture or disqualified).

    In YAML, a bare built-in code (`- no_budget`) takes the built-in label and outcome.
    """

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    outcome: Literal[Stage.NURTURE, Stage.DISQUALIFIED] = Stage.NURTURE

    @model_validator(mode="before")
    @classmethod
    def _builtin(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        known = {r.code: r for r in DEFAULT_REJECT_REASONS}
        if value not in known:
            raise ValueError(
                f"unknown reject code {value!r}; built-in codes are {', '.join(known)} "
                "(to add your own, give code and label)"
            )
        return known[value].model_dump()


def _r(code: str, label: str, outcome: Stage = Stage.NURTURE) -> RejectReason:
    return RejectReason(code=code, label=label, outcome=outcome)  # type: ignore[arg-type]


#: Used when a configuration does not list its own reasons. Leads rejected for a reason that
#: may change (budget, timing) go back to nurture; the rest leave the funnel.
DEFAULT_REJECT_REASONS: tuple[RejectReason, ...] = (
    _r("bad_fit", "Bad fit (not our ideal customer)", Stage.DISQUALIFIED),
    _r("no_budget", "No budget"),
    _r("no_authority", "No authority (not a decision maker)"),
    _r("no_need", "No need"),
    _r("bad_timing", "Bad timing"),
    _r("wrong_contact", "Wrong contact", Stage.DISQUALIFIED),
    _r("duplicate", "Duplicate of an existing lead", Stage.DISQUALIFIED),
    _r("competitor_student", "Competitor or student", Stage.DISQUALIFIED),
    _r("unreachable", "Unreachable"),
)


#: The built-in reject reasons of account handoffs, per subject (an MQA, an expansion signal,
#: a churn risk); an SLA file replaces a subject's list with `account_reject_reasons`.
DEFAULT_ACCOUNT_REJECT_REASONS: dict[str, tuple[RejectReason, ...]] = {
    "account": (
        _r("bad_fit", "Bad fit (not an account we sell to)"),
        _r("no_buying_signal", "No buying signal behind the score"),
        _r("bad_timing", "Bad timing"),
        _r("already_working", "Already working this account"),
        _r("existing_customer", "Already a customer"),
    ),
    "expansion": (
        _r("no_budget", "No budget to grow"),
        _r("temporary_spike", "Temporary usage spike"),
        _r("already_in_progress", "Expansion already in progress"),
        _r("bad_timing", "Bad timing (e.g. mid-renewal)"),
    ),
    "churn_risk": (
        _r("not_at_risk", "Not at risk (the usage explains itself)"),
        _r("already_handled", "Already handled with the customer"),
        _r("customer_leaving", "Customer is leaving whatever we do"),
    ),
}


class UnknownRejectReason(ValueError):
    """A reject named a code that is not in the configured list."""


def check_reject_reason(reasons: Sequence[RejectReason], code: str) -> RejectReason:
    """The configured reason for `code`; raises UnknownRejectReason listing the valid codes."""
    for reason in reasons:
        if reason.code == code:
            return reason
    valid = ", ".join(r.code for r in reasons)
    raise UnknownRejectReason(f"unknown reject reason {code!r}; use one of: {valid}")


def reject_move(
    reasons: Sequence[RejectReason], from_stage: Stage | str, code: str, note: str | None = None
) -> Move:
    """The checked move for sales rejecting a lead with `code` (and an optional free-text note).

    The reason's outcome decides the target stage; the move carries the code for reporting.
    """
    reason = check_reject_reason(reasons, code)
    text = f"rejected: {reason.label}" + (f" ({note.strip()})" if note and note.strip() else "")
    return check_move(from_stage, reason.outcome, text, reason_code=reason.code)
