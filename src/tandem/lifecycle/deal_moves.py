"""The allowed moves of a deal between pipeline stages, and when a move needs a reason.

Open stages move freely among each other (a deal goes back to discovery when the buyer's
needs change). Closing as lost needs a lost reason; reopening a closed deal, or turning a won
deal into a lost one (or back), needs a reason too, so the log always says why. Pure: the one
writer is `tandem.lifecycle.deal_service`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tandem.lifecycle.moves import IllegalTransition
from tandem.opportunities.stages import LOST_REASONS, DealStage

CLOSED = frozenset({DealStage.CLOSED_WON, DealStage.CLOSED_LOST})
OPEN_STAGES = tuple(s for s in DealStage if s not in CLOSED)


@dataclass(frozen=True)
class DealMove:
    """A checked deal stage change, ready for the log."""

    from_stage: str | None
    to_stage: DealStage
    reason: str | None = None
    lost_reason: str | None = None

    @property
    def closes(self) -> bool:
        return self.to_stage in CLOSED


def needs_reason(from_stage: str | None, to_stage: DealStage | str) -> bool:
    """Whether moving from `from_stage` to `to_stage` asks for a reason (the board asks)."""
    to = DealStage(to_stage)
    if from_stage is None:
        return to is DealStage.CLOSED_LOST
    return to is DealStage.CLOSED_LOST or from_stage in CLOSED


def check_deal_move(
    from_stage: str | None,
    to_stage: DealStage | str,
    reason: str | None = None,
    *,
    lost_reason: str | None = None,
) -> DealMove:
    """Validate a deal's stage change; raise IllegalTransition saying why not.

    `from_stage=None` is a new deal entering the pipeline. A stage an import brought that is
    not one of ours counts as open. A lost deal names one of `LOST_REASONS`.
    """
    try:
        to = DealStage(to_stage)
    except ValueError:
        raise IllegalTransition(from_stage, to_stage, f"unknown deal stage {to_stage!r}") from None
    if from_stage == to.value:
        raise IllegalTransition(from_stage, to, "the deal is already in that stage")
    text = (reason or "").strip() or None
    if to is DealStage.CLOSED_LOST:
        if lost_reason not in LOST_REASONS:
            choices = ", ".join(LOST_REASONS)
            raise IllegalTransition(from_stage, to, f"a lost deal needs a lost reason ({choices})")
    elif lost_reason is not None:
        raise IllegalTransition(from_stage, to, "only a lost deal has a lost reason")
    if from_stage in CLOSED and text is None:
        raise IllegalTransition(from_stage, to, "moving a closed deal needs a reason")
    return DealMove(from_stage, to, text, lost_reason)
