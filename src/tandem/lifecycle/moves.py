"""The lifecycle's one table of allowed stage changes, and what an import may do.

Forward moves follow the funnel. Moving backwards (recycle to nurture, reopen, churn) or out
(disqualify) is allowed but needs a reason, so the log always says why a contact went back.
Imports state where a contact stands in another system, so they may also jump forward over
stages (`IMPORT_JUMPS`), but never past sales' answer to an MQL and never backwards without a
reason. Pure: `tandem.lifecycle.service` is the one writer that applies these verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from tandem.lifecycle.stages import FUNNEL, Stage, funnel_rank


class MoveKind(StrEnum):
    """Why a move is allowed; every kind except entry, forward and jump needs a reason."""

    ENTRY = "entry"  # first stage of a new contact
    FORWARD = "forward"
    JUMP = "jump"  # an import skipping funnel stages another system went through
    RECYCLE = "recycle"  # back to marketing nurture
    REOPEN = "reopen"  # out of nurture or disqualified again
    CHURN = "churn"  # a customer lost, back to nurture
    DISQUALIFY = "disqualify"


_S = Stage
_RECYCLABLE = (_S.MQL, _S.SAL, _S.SQL, _S.OPPORTUNITY)

#: Every allowed (from, to) move and its kind. This is the only place moves are declared.
ALLOWED_MOVES: Mapping[tuple[Stage, Stage], MoveKind] = MappingProxyType(
    {
        (_S.SUBSCRIBER, _S.LEAD): MoveKind.FORWARD,
        (_S.SUBSCRIBER, _S.MQL): MoveKind.FORWARD,  # scored past the threshold in one step
        (_S.LEAD, _S.MQL): MoveKind.FORWARD,
        (_S.LEAD, _S.SQL): MoveKind.FORWARD,  # sales-sourced: a rep qualifies their own lead
        (_S.MQL, _S.SAL): MoveKind.FORWARD,  # accepted by sales; there is no MQL->SQL shortcut
        (_S.SAL, _S.SQL): MoveKind.FORWARD,
        (_S.SQL, _S.OPPORTUNITY): MoveKind.FORWARD,
        (_S.OPPORTUNITY, _S.CUSTOMER): MoveKind.FORWARD,
        **{(s, _S.NURTURE): MoveKind.RECYCLE for s in _RECYCLABLE},
        (_S.NURTURE, _S.MQL): MoveKind.REOPEN,
        (_S.CUSTOMER, _S.NURTURE): MoveKind.CHURN,
        **{(s, _S.DISQUALIFIED): MoveKind.DISQUALIFY for s in _S if s is not _S.DISQUALIFIED},
        (_S.DISQUALIFIED, _S.LEAD): MoveKind.REOPEN,
    }
)
REASON_REQUIRED: frozenset[MoveKind] = frozenset(
    {MoveKind.RECYCLE, MoveKind.REOPEN, MoveKind.CHURN, MoveKind.DISQUALIFY}
)


def _later(stage: Stage) -> frozenset[Stage]:
    return frozenset(FUNNEL[funnel_rank(stage) + 1 :])


#: What an import (a CSV row, an event API item) may do beyond `ALLOWED_MOVES`: from each stage,
#: the funnel stages it may jump to over the ones between (another system went through them).
#: An MQL waits for sales' answer in Tandem, so from MQL an import jumps only to customer (a won
#: deal closes the question; its handoff closes as departed): never MQL -> SQL or opportunity.
#: Backward moves are never jumps: they follow the table and need a reason.
IMPORT_JUMPS: Mapping[Stage, frozenset[Stage]] = MappingProxyType(
    {
        _S.SUBSCRIBER: _later(_S.SUBSCRIBER),
        _S.LEAD: _later(_S.LEAD),
        _S.MQL: frozenset({_S.CUSTOMER}),
        _S.SAL: _later(_S.SAL),
        _S.SQL: _later(_S.SQL),
    }
)


class IllegalTransition(ValueError):
    """A stage change the table does not allow (or that lacks a required reason)."""

    def __init__(self, from_stage: object, to_stage: object, why: str) -> None:
        self.from_stage, self.to_stage, self.why = from_stage, to_stage, why
        super().__init__(f"cannot move from {from_stage or '(new)'} to {to_stage}: {why}")


@dataclass(frozen=True)
class Move:
    """A checked stage change, ready to be written to the transition log."""

    from_stage: Stage | None
    to_stage: Stage
    kind: MoveKind
    reason: str | None = None
    reason_code: str | None = None


def allowed_targets(from_stage: Stage | None) -> list[Stage]:
    """Stages reachable from `from_stage` in one move (every stage for a new contact)."""
    if from_stage is None:
        return list(Stage)
    return [to for (frm, to) in ALLOWED_MOVES if frm is from_stage]


def check_move(
    from_stage: Stage | str | None,
    to_stage: Stage | str,
    reason: str | None = None,
    *,
    reason_code: str | None = None,
) -> Move:
    """Validate a stage change against ALLOWED_MOVES; raise IllegalTransition explaining why not.

    `from_stage=None` means a new contact entering the lifecycle, which may start anywhere
    (imports bring existing customers). Backward and disqualifying moves need a reason.
    """
    frm = _stage(from_stage, from_stage, to_stage) if from_stage is not None else None
    to = _stage(to_stage, from_stage, to_stage)
    if frm is None:
        return Move(from_stage=None, to_stage=to, kind=MoveKind.ENTRY, reason=_text(reason))
    if frm is to:
        raise IllegalTransition(frm, to, "the contact is already in that stage")
    kind = ALLOWED_MOVES.get((frm, to))
    if kind is None:
        targets = ", ".join(allowed_targets(frm)) or "nowhere"
        raise IllegalTransition(
            frm, to, f"not an allowed move; from {frm} a contact can go to {targets}"
        )
    return _with_reason(frm, to, kind, reason, reason_code)


def check_import_move(
    from_stage: Stage | str | None,
    to_stage: Stage | str,
    reason: str | None = None,
    *,
    jumps: Mapping[Stage, frozenset[Stage]] = IMPORT_JUMPS,
) -> Move:
    """`check_move` for an import: the table's moves, and the forward jumps `jumps` allows."""
    frm = _stage(from_stage, from_stage, to_stage) if from_stage is not None else None
    to = _stage(to_stage, from_stage, to_stage)
    if frm is not None and (frm, to) not in ALLOWED_MOVES and to in jumps.get(frm, ()):
        return Move(from_stage=frm, to_stage=to, kind=MoveKind.JUMP, reason=_text(reason))
    return check_move(frm, to, reason)


def import_verdicts() -> dict[tuple[str, str], str | None]:
    """For set-based imports: every (from, to) pair of stages -> None when an import row may make
    that move without a reason, else why not."""
    out: dict[tuple[str, str], str | None] = {}
    for frm in Stage:
        for to in Stage:
            if frm is to:
                continue
            try:
                check_import_move(frm, to)
                out[(frm.value, to.value)] = None
            except IllegalTransition as exc:
                out[(frm.value, to.value)] = str(exc)
    return out


def _with_reason(
    frm: Stage, to: Stage, kind: MoveKind, reason: str | None, reason_code: str | None
) -> Move:
    text = _text(reason)
    if kind in REASON_REQUIRED and text is None and reason_code is None:
        raise IllegalTransition(frm, to, f"a {kind} move needs a reason")
    return Move(from_stage=frm, to_stage=to, kind=kind, reason=text, reason_code=reason_code)


def _text(reason: str | None) -> str | None:
    return (reason or "").strip() or None


def _stage(value: Stage | str, frm: object, to: object) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        raise IllegalTransition(frm, to, f"unknown stage {value!r}") from None
