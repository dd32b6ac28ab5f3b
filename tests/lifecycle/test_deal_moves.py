"""The deal stage rules, for every pair of stages and any reason: a lost deal always names a
lost reason, a closed deal never moves without a reason, and what the board asks for
(`needs_reason`) is exactly what the check refuses without one."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.lifecycle.deal_moves import CLOSED, check_deal_move, needs_reason
from tandem.lifecycle.moves import IllegalTransition
from tandem.opportunities.stages import LOST_REASONS, DealStage

STAGES = [s.value for s in DealStage]


@given(
    frm=st.sampled_from([None, *STAGES, "Legacy Stage"]),
    to=st.sampled_from(STAGES),
    reason=st.one_of(st.none(), st.just("  "), st.text(min_size=1, max_size=20)),
    lost=st.one_of(st.none(), st.sampled_from(LOST_REASONS), st.just("bored")),
)
def test_every_move_follows_the_rules(frm, to, reason, lost):
    try:
        move = check_deal_move(frm, to, reason, lost_reason=lost)
    except IllegalTransition:
        closes_lost_badly = to == "closed_lost" and lost not in LOST_REASONS
        stray_lost = to != "closed_lost" and lost is not None
        reopened_silently = frm in CLOSED and not (reason or "").strip()
        assert frm == to or closes_lost_badly or stray_lost or reopened_silently
        return
    assert frm != to
    if to == "closed_lost":
        assert move.lost_reason in LOST_REASONS
    if frm in CLOSED:
        assert move.reason
    assert move.closes == (to in CLOSED)


@pytest.mark.parametrize("frm", STAGES)
@pytest.mark.parametrize("to", STAGES)
def test_the_board_asks_exactly_when_a_reason_is_needed(frm, to):
    if frm == to:
        return
    lost = "price" if to == "closed_lost" else None
    if needs_reason(frm, to) and to != "closed_lost":
        with pytest.raises(IllegalTransition):
            check_deal_move(frm, to, None, lost_reason=lost)
    elif not needs_reason(frm, to):
        check_deal_move(frm, to, None, lost_reason=lost)
