"""Reject reasons: defaults, custom lists, and a reject must name a known code."""

import pytest
from pydantic import ValidationError

from tandem.handoff.reasons import (
    DEFAULT_REJECT_REASONS,
    RejectReason,
    UnknownRejectReason,
    check_reject_reason,
    reject_move,
)
from tandem.lifecycle.moves import MoveKind
from tandem.lifecycle.stages import Stage


def test_default_codes_are_the_agreed_list():
    assert [r.code for r in DEFAULT_REJECT_REASONS] == [
        "bad_fit",
        "no_budget",
        "no_authority",
        "no_need",
        "bad_timing",
        "wrong_contact",
        "duplicate",
        "competitor_student",
        "unreachable",
    ]


@pytest.mark.parametrize(
    ("code", "stage", "kind"),
    [
        ("no_budget", Stage.NURTURE, MoveKind.RECYCLE),
        ("bad_timing", Stage.NURTURE, MoveKind.RECYCLE),
        ("duplicate", Stage.DISQUALIFIED, MoveKind.DISQUALIFY),
        ("competitor_student", Stage.DISQUALIFIED, MoveKind.DISQUALIFY),
    ],
)
def test_reject_sends_the_lead_where_the_reason_says(code, stage, kind):
    move = reject_move(DEFAULT_REJECT_REASONS, Stage.MQL, code, note="  call back in Q3 ")
    assert (move.to_stage, move.kind, move.reason_code) == (stage, kind, code)
    assert move.reason.endswith("(call back in Q3)")


def test_unknown_code_names_the_valid_ones():
    with pytest.raises(UnknownRejectReason, match="'too_busy'; use one of: bad_fit, no_budget"):
        check_reject_reason(DEFAULT_REJECT_REASONS, "too_busy")


def test_a_custom_list_replaces_the_defaults():
    custom = (
        RejectReason.model_validate("no_budget"),
        RejectReason(code="existing_customer", label="Already a customer", outcome="disqualified"),
    )
    assert custom[0].label == "No budget"
    assert reject_move(custom, "mql", "existing_customer").to_stage is Stage.DISQUALIFIED
    with pytest.raises(UnknownRejectReason):
        reject_move(custom, "mql", "bad_fit")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("made_up", "unknown reject code 'made_up'"),
        ({"code": "Bad Fit", "label": "x"}, "String should match pattern"),
        ({"code": "x", "label": "x", "outcome": "customer"}, "outcome"),
    ],
)
def test_invalid_reasons_are_rejected(value, message):
    with pytest.raises(ValidationError, match=message):
        RejectReason.model_validate(value)
