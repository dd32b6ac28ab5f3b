"""How long contacts stayed in each stage, from transition log rows (pure)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from tandem.lifecycle.stages import Stage

#: Length of time between two instants (real time by default; the handoff passes business time).
Measure = Callable[[dt.datetime, dt.datetime], dt.timedelta]


class TransitionRow(NamedTuple):
    """The minimum a duration calculation needs from a transition log row."""

    contact_id: str
    from_stage: Stage | None
    to_stage: Stage
    at: dt.datetime


@dataclass(frozen=True)
class StageSpan:
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
    measure: Measure | None = None,
) -> list[StageSpan]:
    """Each stay in each stage, derived from transition log rows.

    Rows may be tuples `(contact_id, from, to, at)` or objects with those attributes, in any
    order. Rows after `as_of` are ignored; the current stage runs until `as_of`. Time spent in
    a row's `from` stage before the first logged move is unknown, so it is not counted. With a
    `measure`, durations are measured by it (business time) instead of real time.
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
            length = end - row.at if measure is None else measure(row.at, end)
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
    measure: Measure | None = None,
) -> dict[str, dict[Stage, dt.timedelta]]:
    """Total time per contact per stage (repeat visits add up), from transition log rows."""
    out: dict[str, dict[Stage, dt.timedelta]] = defaultdict(lambda: defaultdict(dt.timedelta))
    for span in stage_spans(rows, as_of, measure=measure):
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
