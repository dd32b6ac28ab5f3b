"""Lifecycle moves: the one table of allowed stage changes, and stage durations from the log.

Forward moves follow the funnel. Moving backwards (recycle to nurture, reopen, churn) or out
(disqualify) is allowed but needs a reason, so the log always says why a contact went back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from tandem.handoff.calendar import BusinessCalendar, business_time_between
from tandem.handoff.config import Frozen
from tandem.lifecycle.stages import Stage


class MoveKind(StrEnum):
    """Why a move is allowed; every kind except entry and forward needs a reason."""

    ENTRY = "entry"  # first stage of a new contact
    FORWARD = "forward"
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


class IllegalTransition(ValueError):
    """A stage change the table does not allow (or that lacks a required reason)."""

    def __init__(self, from_stage: object, to_stage: object, why: str) -> None:
        self.from_stage, self.to_stage, self.why = from_stage, to_stage, why
        super().__init__(f"cannot move from {from_stage or '(new)'} to {to_stage}: {why}")


class Move(Frozen):
    """A checked stage change, ready to be written to the transition log."""

    from_stage: Stage | None
    to_stage: Stage
    kind: MoveKind
    reason: str | None = None
    reason_code: str | None = None


class TransitionRecord(Frozen):
    """One row of the transition log: who moved which contact, when, why, and what caused it."""

    contact_id: str
    from_stage: Stage | None
    to_stage: Stage
    at: dt.datetime
    by: str  # a user id, or "system"
    reason: str | None = None
    reason_code: str | None = None
    cause: str | None = None  # the scoring model version or rule id that triggered the move


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
        return Move(from_stage=None, to_stage=to, kind=MoveKind.ENTRY, reason=reason)
    if frm is to:
        raise IllegalTransition(frm, to, "the contact is already in that stage")
    kind = ALLOWED_MOVES.get((frm, to))
    if kind is None:
        targets = ", ".join(allowed_targets(frm)) or "nowhere"
        raise IllegalTransition(
            frm, to, f"not an allowed move; from {frm} a contact can go to {targets}"
        )
    text = (reason or "").strip() or None
    if kind in REASON_REQUIRED and text is None and reason_code is None:
        raise IllegalTransition(frm, to, f"a {kind} move needs a reason")
    return Move(from_stage=frm, to_stage=to, kind=kind, reason=text, reason_code=reason_code)


def _stage(value: Stage | str, frm: object, to: object) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        raise IllegalTransition(frm, to, f"unknown stage {value!r}") from None


class TransitionRow(NamedTuple):
    """The minimum a duration calculation needs from a transition log row."""

    contact_id: str
    from_stage: Stage | None
    to_stage: Stage
    at: dt.datetime


class StageSpan(Frozen):
    """One stay of a contact in a stage; `exited_at` is None while it is still there."""

    contact_id: str
    stage: Stage
    entered_at: dt.datetime
    exited_at: dt.datetime | None
    duration: dt.timedelta


def stage_spans(
    rows: Iterable[TransitionRow | Any],
    as_of: dt.datetime,
    *,
    calendar: BusinessCalendar | None = None,
) -> list[StageSpan]:
    """Each stay in each stage, derived from transition log rows.

    Rows may be tuples `(contact_id, from, to, at)` or objects with those attributes, in any
    order. Rows after `as_of` are ignored; the current stage runs until `as_of`. Time spent in
    a row's `from` stage before the first logged move is unknown, so it is not counted. With a
    `calendar`, durations are business time instead of real time.
    """
    by_contact: dict[str, list[TransitionRow]] = defaultdict(list)
    for raw in rows:
        row = _as_row(raw)
        if row.at <= as_of:
            by_contact[row.contact_id].append(row)
    spans = []
    for contact_id, items in sorted(by_contact.items()):
        items.sort(key=lambda r: r.at)  # stable: same-instant moves keep their log order
        for row, nxt in zip(items, [*items[1:], None], strict=True):
            end = nxt.at if nxt else as_of
            if calendar is None:
                length = end - row.at
            else:
                length = business_time_between(calendar, row.at, end)
            spans.append(
                StageSpan(
                    contact_id=contact_id,
                    stage=row.to_stage,
                    entered_at=row.at,
                    exited_at=nxt.at if nxt else None,
                    duration=length,
                )
            )
    return spans


def stage_durations(
    rows: Iterable[TransitionRow | Any],
    as_of: dt.datetime,
    *,
    calendar: BusinessCalendar | None = None,
) -> dict[str, dict[Stage, dt.timedelta]]:
    """Total time per contact per stage (repeat visits add up), from transition log rows."""
    out: dict[str, dict[Stage, dt.timedelta]] = defaultdict(lambda: defaultdict(dt.timedelta))
    for span in stage_spans(rows, as_of, calendar=calendar):
        out[span.contact_id][span.stage] += span.duration
    return {c: dict(stages) for c, stages in out.items()}


def _as_row(raw: Any) -> TransitionRow:
    if hasattr(raw, "to_stage"):
        values = (raw.contact_id, raw.from_stage, raw.to_stage, raw.at)
    else:
        values = tuple(raw)
    contact_id, frm, to, at = values
    if at.tzinfo is None:
        raise ValueError(f"transition of {contact_id} at {at} has a naive timestamp")
    return TransitionRow(str(contact_id), Stage(frm) if frm else None, Stage(to), at)
