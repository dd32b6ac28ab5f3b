"""The pure scoring engine: facts and an explicit `as_of` in, an explained score out.

Arithmetic (the same in `rescore.py`, so both give identical numbers):

* Each occurrence is worth `points x 0.5 ** (age_days / half_life_days)` (or full points with no
  half-life), rounded half away from zero to whole *units* of 0.0001 point. It counts only while
  it is worth at least one unit, is not after `as_of` and is inside the window (age < window).
* Units are summed per UTC day and clamped to `daily_cap`, then summed and clamped to `cap`
  (caps bound the size, so they work the same way for negative rules).
* Each rule's units are rounded half away from zero to cents: that is the rule's part. Fit,
  engagement and total are sums of parts, so an explanation always adds up to the score exactly.

Incremental use: keep a `ScoreState` per contact, `add_activity` on each insert and
`score_state(..., as_of=now)` on read; decay is applied at read time.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tandem.scoring.facts import ActivityFact, ContactFacts, RulePart, ScoreResult
from tandem.scoring.match import activity_matches, fit_matches
from tandem.scoring.model import BehaviourRule, MqlRule, ScoringModel

UNITS_PER_POINT = 10_000
UNITS_PER_CENT = 100
US_PER_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_CENT = Decimal("0.01")


def to_cents(points: float) -> int:
    """Exact cents of a 2-decimal point value."""
    return round(points * 100)


def epoch_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact integer)."""
    if moment.tzinfo is None:
        raise ValueError("as_of and occurred_at must be timezone-aware")
    return (moment - _EPOCH) // _ONE_US


def round_half_away(value: float) -> int:
    """Round to the nearest integer, halves away from zero (as `rescore.py` does)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def units_to_cents(units: int) -> int:
    """Integer rounding of units to cents, halves away from zero."""
    size = (abs(units) + UNITS_PER_CENT // 2) // UNITS_PER_CENT
    return size if units >= 0 else -size


def clamp(units: int, limit: int | None) -> int:
    """Bound the size of `units` by `limit` (None: no bound)."""
    return units if limit is None else max(-limit, min(limit, units))


def occurrence_units(rule: BehaviourRule, age_us: int) -> int:
    """Units one occurrence of `rule` is worth at `age_us`; 0 when it no longer counts."""
    if age_us < 0:
        return 0
    decay = rule.decay
    units = to_cents(rule.points) * UNITS_PER_CENT
    if decay is None:
        return units
    if decay.window_days is not None and age_us >= decay.window_days * US_PER_DAY:
        return 0
    if decay.half_life_days is None:
        return units
    return round_half_away(units * 0.5 ** ((age_us / US_PER_DAY) / decay.half_life_days))


def behaviour_part(rule: BehaviourRule, times_us: Iterable[int], as_of_us: int) -> RulePart | None:
    """The part a behaviour rule gives from its occurrence times; None if none counts."""
    per_day: dict[int, int] = defaultdict(int)
    count = 0
    for t in times_us:
        units = occurrence_units(rule, as_of_us - t)
        if units:
            count += 1
            per_day[t // US_PER_DAY] += units
    if not count:
        return None
    daily = None if rule.daily_cap is None else to_cents(rule.daily_cap) * UNITS_PER_CENT
    days = [clamp(u, daily) for u in per_day.values()]
    raw = sum(days)
    cap = None if rule.cap is None else to_cents(rule.cap) * UNITS_PER_CENT
    units = clamp(raw, cap)
    capped = units != raw or days != list(per_day.values())
    points = Decimal(units_to_cents(units)) * _CENT
    return RulePart(rule.id, "behaviour", points, count, capped)


def grade_for(model: ScoringModel, fit_cents: int) -> str:
    """A-D from the fit score and the model's cut-offs."""
    g = model.grades
    for grade, cut in (("A", g.A), ("B", g.B), ("C", g.C)):
        if fit_cents >= to_cents(cut):
            return grade
    return "D"


def meets_mql(rule: MqlRule, fit_cents: int, engagement_cents: int) -> bool:
    """Every threshold the MQL rule gives must be met."""
    checks = ((rule.fit, fit_cents), (rule.engagement, engagement_cents))
    checks += ((rule.total, fit_cents + engagement_cents),)
    return all(t is None or cents >= to_cents(t) for t, cents in checks)


def fit_parts(model: ScoringModel, facts: ContactFacts) -> list[RulePart]:
    """One part per matching fit rule, in model order."""
    return [
        RulePart(r.id, "fit", Decimal(to_cents(r.points)) * _CENT)
        for r in model.fit_rules
        if fit_matches(r, facts.fields.get(r.field))
    ]


@dataclass(frozen=True, slots=True)
class ScoreState:
    """Per behaviour rule, the times (epoch microseconds) of the contact's matching activities.

    Small enough to store beside the contact; the DB layer may also rebuild it from activities.
    """

    occurrences: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


def add_activity(model: ScoringModel, state: ScoreState, activity: ActivityFact) -> ScoreState:
    """A new state with `activity` recorded against every behaviour rule it matches."""
    t = epoch_us(activity.occurred_at)
    updated = dict(state.occurrences)
    for rule in model.behaviour_rules:
        if activity_matches(rule, activity):
            updated[rule.id] = (*updated.get(rule.id, ()), t)
    return ScoreState(updated)


def state_from_activities(model: ScoringModel, activities: Iterable[ActivityFact]) -> ScoreState:
    """Build a contact's state from its activity history."""
    times: dict[str, list[int]] = defaultdict(list)
    for activity in activities:
        t = epoch_us(activity.occurred_at)
        for rule in model.behaviour_rules:
            if activity_matches(rule, activity):
                times[rule.id].append(t)
    return ScoreState({k: tuple(v) for k, v in times.items()})


def prune_state(model: ScoringModel, state: ScoreState, *, as_of: datetime) -> ScoreState:
    """Drop occurrences that count for nothing at `as_of` or any later moment.

    Decay only shrinks an occurrence and windows only close, so a pruned state scores the same
    as the full one for every read at or after `as_of`.
    """
    now = epoch_us(as_of)
    kept = {}
    for rule in model.behaviour_rules:
        times = tuple(
            t
            for t in state.occurrences.get(rule.id, ())
            if t > now or occurrence_units(rule, now - t)
        )
        if times:
            kept[rule.id] = times
    return ScoreState(kept)


def score_state(
    model: ScoringModel, facts: ContactFacts, state: ScoreState, *, as_of: datetime
) -> ScoreResult:
    """Score a contact from its fields and state as of `as_of` (later activities are ignored)."""
    now = epoch_us(as_of)
    parts = fit_parts(model, facts)
    for rule in model.behaviour_rules:
        part = behaviour_part(rule, state.occurrences.get(rule.id, ()), now)
        if part is not None:
            parts.append(part)
    fit = sum((p.points for p in parts if p.kind == "fit"), Decimal("0.00"))
    engagement = sum((p.points for p in parts if p.kind == "behaviour"), Decimal("0.00"))
    fit_c, eng_c = int(fit * 100), int(engagement * 100)
    return ScoreResult(
        contact_id=facts.contact_id,
        as_of=as_of,
        fit=fit,
        engagement=engagement,
        total=fit + engagement,
        grade=grade_for(model, fit_c),
        is_mql=meets_mql(model.mql, fit_c, eng_c),
        parts=tuple(parts),
    )


def score_contact(
    model: ScoringModel,
    facts: ContactFacts,
    activities: Iterable[ActivityFact],
    *,
    as_of: datetime,
) -> ScoreResult:
    """Score one contact from its full activity history as of `as_of`."""
    activities = list(activities)
    for a in activities:
        if a.contact_id != facts.contact_id:
            raise ValueError(f"activity of contact {a.contact_id!r} given for {facts.contact_id!r}")
    return score_state(model, facts, state_from_activities(model, activities), as_of=as_of)


@dataclass(frozen=True, slots=True)
class MqlCrossing:
    """When a contact first met the MQL rule; `activity` is None when time alone did it."""

    at: datetime
    activity: ActivityFact | None
    score: ScoreResult


def mql_crossing(
    model: ScoringModel,
    facts: ContactFacts,
    activities: Iterable[ActivityFact],
    *,
    as_of: datetime,
) -> MqlCrossing | None:
    """Replay activities in time order and return the first moment the contact is an MQL.

    The score is checked right after each activity (up to `as_of`) and finally at `as_of`, so a
    crossing caused only by time passing (a negative signal decaying) is dated `as_of`.
    """
    state = ScoreState()
    history = sorted((a for a in activities if a.occurred_at <= as_of), key=lambda a: a.occurred_at)
    for activity in history:
        if activity.contact_id != facts.contact_id:
            raise ValueError(f"activity of contact {activity.contact_id!r} given for {facts!r}")
        state = add_activity(model, state, activity)
        score = score_state(model, facts, state, as_of=activity.occurred_at)
        if score.is_mql:
            return MqlCrossing(activity.occurred_at, activity, score)
    score = score_state(model, facts, state, as_of=as_of)
    return MqlCrossing(as_of, None, score) if score.is_mql else None
