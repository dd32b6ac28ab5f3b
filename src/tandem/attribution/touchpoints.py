"""Touchpoints and journeys, and the rule that picks an opportunity's touchpoints.

A touchpoint is one activity of one of the opportunity's contacts, seen from that opportunity.
A journey is the ordered touchpoints of one opportunity plus its amount and outcome.

Milestone rule (`select_touchpoints`), stated once and used everywhere:

* window: from `opportunity_created_at - lookback_days` to `opportunity_created_at`, both ends
  included; with `until_close=True` and a `closed_at`, the window runs to `closed_at` instead.
  Touches are ordered by (`occurred_at`, `activity_id`), so ties are deterministic.
* ``first_touch``: the first touch in the window.
* ``lead_creation``: the last touch at or before `mql_at` (the touch that made the contact an
  MQL); missing when there is no `mql_at` or no touch in the window at or before it.
* ``opportunity_creation``: the last touch at or before `opportunity_created_at`.
* ``close``: only with `until_close=True` and a `closed_at`: the last touch at or before
  `closed_at`.

Several milestones may fall on one touch (a single-touch journey carries all of them); the
position models then add their weights on that touch.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from tandem.attribution.money import to_cents

FIRST_TOUCH = "first_touch"
LEAD_CREATION = "lead_creation"
OPPORTUNITY_CREATION = "opportunity_creation"
CLOSE = "close"
#: Milestones in funnel order; a milestone's index is its bit in the columnar milestone mask.
MILESTONES: tuple[str, ...] = (FIRST_TOUCH, LEAD_CREATION, OPPORTUNITY_CREATION, CLOSE)
TEAMS: tuple[str, ...] = ("marketing", "sales", "product")

Team = Literal["marketing", "sales", "product"]
Key = int | str


def _require_aware(name: str, moment: datetime | None) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")


@dataclass(frozen=True, slots=True)
class Touchpoint:
    """One activity counted towards one opportunity, with the milestones it marks."""

    activity_id: Key
    occurred_at: datetime
    channel: str
    campaign_id: Key | None = None
    asset_id: Key | None = None
    team: Team = "marketing"
    source: str | None = None
    milestones: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        _require_aware("occurred_at", self.occurred_at)
        if self.team not in TEAMS:
            raise ValueError(f"team must be one of {TEAMS}, got {self.team!r}")
        unknown = set(self.milestones) - set(MILESTONES)
        if unknown:
            raise ValueError(f"unknown milestones {sorted(unknown)}; known: {MILESTONES}")


@dataclass(frozen=True, slots=True)
class Journey:
    """An opportunity's touchpoints in time order, its amount and whether it converted.

    `amount` is a Decimal in whole cents. Only converted journeys receive credit; the others
    are there so the data-driven models (Markov, Shapley) can learn from paths that did not
    convert. `as_of` is the conversion moment time decay measures touch age from (opportunity
    creation for pipeline, close for won revenue); None means the last touch's time.
    """

    opportunity_id: Key
    amount: Decimal
    touchpoints: tuple[Touchpoint, ...]
    converted: bool = True
    as_of: datetime | None = None

    def __post_init__(self) -> None:
        if to_cents(self.amount) < 0:
            raise ValueError(f"amount must not be negative, got {self.amount}")
        _require_aware("as_of", self.as_of)
        times = [t.occurred_at for t in self.touchpoints]
        if any(later < earlier for earlier, later in zip(times, times[1:], strict=False)):
            raise ValueError(
                f"touchpoints of opportunity {self.opportunity_id!r} are not in time order"
            )


def select_touchpoints(
    activities: Iterable[Touchpoint],
    *,
    opportunity_created_at: datetime,
    closed_at: datetime | None = None,
    lookback_days: int = 180,
    until_close: bool = False,
    mql_at: datetime | None = None,
) -> tuple[Touchpoint, ...]:
    """The touchpoints in the opportunity's window, ordered, with milestones marked.

    Milestones already set on the inputs are replaced. See the module docstring for the rule.
    """
    for name, moment in (
        ("opportunity_created_at", opportunity_created_at),
        ("closed_at", closed_at),
        ("mql_at", mql_at),
    ):
        _require_aware(name, moment)
    if lookback_days < 0:
        raise ValueError(f"lookback_days must not be negative, got {lookback_days}")
    start = opportunity_created_at - timedelta(days=lookback_days)
    end = closed_at if until_close and closed_at is not None else opportunity_created_at
    touches = sorted(
        (a for a in activities if start <= a.occurred_at <= end),
        key=lambda a: (a.occurred_at, a.activity_id),
    )
    if not touches:
        return ()
    marks: list[set[str]] = [set() for _ in touches]
    marks[0].add(FIRST_TOUCH)
    for milestone, moment in (
        (LEAD_CREATION, mql_at),
        (OPPORTUNITY_CREATION, opportunity_created_at),
        (CLOSE, closed_at if until_close else None),
    ):
        index = _last_at_or_before(touches, moment)
        if index is not None:
            marks[index].add(milestone)
    return tuple(replace(t, milestones=frozenset(m)) for t, m in zip(touches, marks, strict=True))


def _last_at_or_before(touches: list[Touchpoint], moment: datetime | None) -> int | None:
    """Index of the last touch at or before `moment` (touches are sorted), else None."""
    if moment is None:
        return None
    found = None
    for index, touch in enumerate(touches):
        if touch.occurred_at > moment:
            break
        found = index
    return found
