"""The allowed-moves table and stage durations derived from the transition log."""

import datetime as dt
from functools import partial

import pytest

from tandem.handoff.calendar import business_time_between
from tandem.lifecycle.durations import TransitionRow, stage_durations, stage_spans
from tandem.lifecycle.moves import (
    ALLOWED_MOVES,
    IllegalTransition,
    MoveKind,
    allowed_targets,
    check_import_move,
    check_move,
)
from tandem.lifecycle.stages import FUNNEL, Stage
from tests.handoff.calendars import BERLIN, berlin, utc

S = Stage

ALLOWED = [
    (S.SUBSCRIBER, S.LEAD, None, MoveKind.FORWARD),
    (S.SUBSCRIBER, S.MQL, None, MoveKind.FORWARD),
    (S.LEAD, S.MQL, None, MoveKind.FORWARD),
    (S.MQL, S.SAL, None, MoveKind.FORWARD),
    (S.SAL, S.SQL, None, MoveKind.FORWARD),
    (S.LEAD, S.SQL, None, MoveKind.FORWARD),
    (S.SQL, S.OPPORTUNITY, None, MoveKind.FORWARD),
    (S.OPPORTUNITY, S.CUSTOMER, None, MoveKind.FORWARD),
    (S.MQL, S.NURTURE, "no budget this year", MoveKind.RECYCLE),
    (S.SAL, S.NURTURE, "went quiet", MoveKind.RECYCLE),
    (S.SQL, S.NURTURE, "project postponed", MoveKind.RECYCLE),
    (S.OPPORTUNITY, S.NURTURE, "lost to timing", MoveKind.RECYCLE),
    (S.NURTURE, S.MQL, "re-engaged: webinar", MoveKind.REOPEN),
    (S.CUSTOMER, S.NURTURE, "churned", MoveKind.CHURN),
    (S.DISQUALIFIED, S.LEAD, "new role, new company", MoveKind.REOPEN),
    (S.SUBSCRIBER, S.DISQUALIFIED, "spam sign-up", MoveKind.DISQUALIFY),
    (S.CUSTOMER, S.DISQUALIFIED, "fraud", MoveKind.DISQUALIFY),
    (None, S.CUSTOMER, None, MoveKind.ENTRY),
]


@pytest.mark.parametrize(("frm", "to", "reason", "kind"), ALLOWED)
def test_allowed_moves(frm, to, reason, kind):
    move = check_move(frm, to, reason)
    assert (move.from_stage, move.to_stage, move.kind, move.reason) == (frm, to, kind, reason)


ILLEGAL = [
    (
        S.MQL,
        S.SQL,
        None,
        "not an allowed move; from mql a contact can go to sal, nurture, disqualified",
    ),
    (S.CUSTOMER, S.LEAD, "x", "not an allowed move"),
    (S.SUBSCRIBER, S.NURTURE, "x", "not an allowed move"),
    (S.NURTURE, S.SAL, "x", "not an allowed move"),
    (S.LEAD, S.LEAD, None, "already in that stage"),
    (S.SQL, S.NURTURE, None, "a recycle move needs a reason"),
    (S.SQL, S.NURTURE, "   ", "a recycle move needs a reason"),
    (S.NURTURE, S.MQL, None, "a reopen move needs a reason"),
    (S.CUSTOMER, S.NURTURE, "", "a churn move needs a reason"),
    (S.LEAD, S.DISQUALIFIED, None, "a disqualify move needs a reason"),
    ("lead", "won", None, "unknown stage 'won'"),
]


@pytest.mark.parametrize(("frm", "to", "reason", "why"), ILLEGAL)
def test_illegal_moves_say_which_and_why(frm, to, reason, why):
    with pytest.raises(IllegalTransition) as info:
        check_move(frm, to, reason)
    assert why in str(info.value)
    assert str(info.value).startswith(f"cannot move from {frm} to {to}")


def test_every_forward_move_goes_up_the_funnel_and_every_stage_is_reachable():
    for (frm, to), kind in ALLOWED_MOVES.items():
        if kind is MoveKind.FORWARD:
            assert FUNNEL.index(frm) < FUNNEL.index(to)
    reachable = {to for (_, to) in ALLOWED_MOVES}
    assert reachable == set(Stage) - {S.SUBSCRIBER}
    assert allowed_targets(S.DISQUALIFIED) == [S.LEAD]


def test_strings_are_accepted_and_reason_code_satisfies_reason():
    move = check_move("mql", "nurture", reason_code="bad_timing")
    assert (move.to_stage, move.reason, move.reason_code) == (S.NURTURE, None, "bad_timing")


LOG = [
    # deliberately out of order, with a row after as_of and a second contact
    ("c1", S.MQL, S.SAL, utc(2026, 3, 2, 12)),
    ("c1", None, S.LEAD, utc(2026, 3, 1, 0)),
    ("c1", S.LEAD, S.MQL, utc(2026, 3, 2, 9)),
    ("c1", S.SAL, S.NURTURE, utc(2026, 3, 4, 12)),
    ("c1", S.NURTURE, S.MQL, utc(2026, 3, 10, 12)),
    ("c1", S.MQL, S.SAL, utc(2026, 3, 10, 13)),
    ("c1", S.SAL, S.SQL, utc(2026, 4, 1)),  # after as_of: ignored
    ("c2", S.SUBSCRIBER, S.MQL, utc(2026, 3, 5)),
]
AS_OF = utc(2026, 3, 11, 13)
H = dt.timedelta(hours=1)


def test_stage_durations_add_repeat_visits_and_run_to_as_of():
    durations = stage_durations(LOG, AS_OF)
    assert durations["c1"] == {
        S.LEAD: 33 * H,  # Mar 1 00:00 -> Mar 2 09:00
        S.MQL: 3 * H + 1 * H,  # two visits
        S.SAL: 48 * H + 24 * H,  # Mar 2 12:00 -> Mar 4 12:00, then Mar 10 13:00 -> as_of
        S.NURTURE: 6 * 24 * H,
    }
    # c2's time as subscriber before its first logged move is unknown, so not counted.
    assert durations["c2"] == {S.MQL: 6 * 24 * H + 13 * H}


def test_stage_spans_keep_each_visit():
    spans = [s for s in stage_spans(LOG, AS_OF) if s.contact_id == "c1" and s.stage is S.SAL]
    assert [(s.entered_at, s.exited_at) for s in spans] == [
        (utc(2026, 3, 2, 12), utc(2026, 3, 4, 12)),
        (utc(2026, 3, 10, 13), None),
    ]


def test_stage_durations_in_business_time_and_from_objects():
    rows = [
        TransitionRow("c", S.LEAD, S.MQL, berlin(2026, 3, 6, 17)),
        TransitionRow("c", S.MQL, S.SAL, berlin(2026, 3, 9, 10)),
    ]
    business = partial(business_time_between, BERLIN)
    assert stage_durations(rows, berlin(2026, 3, 9, 11), measure=business)["c"] == {
        S.MQL: 1.5 * H,
        S.SAL: 1 * H,
    }


def test_naive_log_timestamps_are_refused():
    with pytest.raises(ValueError, match="naive"):
        stage_durations([("c", None, S.LEAD, dt.datetime(2026, 3, 1))], AS_OF)


@pytest.mark.parametrize(
    ("frm", "to", "kind"),
    [
        (S.LEAD, S.CUSTOMER, MoveKind.JUMP),  # the CRM says they bought: imports may jump
        (S.SUBSCRIBER, S.OPPORTUNITY, MoveKind.JUMP),
        (S.SAL, S.OPPORTUNITY, MoveKind.JUMP),
        (S.MQL, S.CUSTOMER, MoveKind.JUMP),  # a won deal closes the question
        (S.LEAD, S.MQL, MoveKind.FORWARD),  # table moves stay what they are
        (None, S.SQL, MoveKind.ENTRY),
    ],
)
def test_imports_may_jump_forward_over_stages(frm, to, kind):
    assert check_import_move(frm, to).kind is kind


@pytest.mark.parametrize(
    ("frm", "to", "why"),
    [
        (S.MQL, S.SQL, "not an allowed move"),  # never past sales' answer
        (S.MQL, S.OPPORTUNITY, "not an allowed move"),
        (S.SQL, S.NURTURE, "needs a reason"),  # backward without a reason
        (S.SQL, S.LEAD, "not an allowed move"),  # backward along the funnel: never
        (S.CUSTOMER, S.OPPORTUNITY, "not an allowed move"),
        (S.NURTURE, S.SQL, "not an allowed move"),  # off the funnel: only the table's moves
    ],
)
def test_imports_never_skip_the_handoff_nor_go_back_without_a_reason(frm, to, why):
    with pytest.raises(IllegalTransition, match=why):
        check_import_move(frm, to)


def test_an_import_with_a_reason_may_recycle():
    move = check_import_move(S.SQL, S.NURTURE, "closed in the CRM as no budget")
    assert (move.kind, move.reason) == (MoveKind.RECYCLE, "closed in the CRM as no budget")
