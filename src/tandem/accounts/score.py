"""The account score, pure: facts of one account in, parts that sum exactly out.

Every part is whole cents (`Decimal` with 2 places), so `sum(parts) == total` exactly. The
engagement roll-ups are computed in two steps so the bulk rescore (`rescore.py`, Polars) and
this engine give the same numbers: first the *aggregates* (integers: weight units of 0.0001
point, or counts of people and roles), then `engagement_parts` turns aggregates into points
(shared by both paths). Fit reuses the lead score's rule semantics (`tandem.scoring.match`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tandem.accounts.score_model import AccountScoreModel, EngagementPart, IntentRule
from tandem.scoring.engine import (
    UNITS_PER_CENT,
    US_PER_DAY,
    epoch_us,
    round_half_away,
    to_cents,
)
from tandem.scoring.match import fit_matches

_CENT = Decimal("0.01")
#: per (cents) x aggregate (units of 0.0001 point) -> cents: divide by this.
UNIT_CENT_SCALE = 100 * UNITS_PER_CENT
NO_ROLE = "unknown"


@dataclass(frozen=True, slots=True)
class Touch:
    """One activity of one of the account's contacts (`t`: epoch microseconds)."""

    contact_id: int
    type: str
    t: int


@dataclass(frozen=True, slots=True)
class Signal:
    """One imported intent signal: a topic (or page) with a strength 0-100."""

    topic: str
    strength: int
    t: int


@dataclass(frozen=True)
class AccountFacts:
    account_id: int
    fields: Mapping[str, Any] = field(default_factory=dict)  # "account.industry" -> value
    touches: Sequence[Touch] = ()
    roles: Mapping[int, str] = field(default_factory=dict)  # contact_id -> buying role
    signals: Sequence[Signal] = ()


@dataclass(frozen=True, slots=True)
class Part:
    section: str  # fit | engagement | intent | coverage
    id: str
    points: Decimal
    detail: str = ""


@dataclass(frozen=True)
class Engagement:
    """What the roll-up found: one integer aggregate per part, and who engaged."""

    aggregates: Mapping[str, int]
    people: int = 0
    roles: frozenset[str] = frozenset()
    last_t: int | None = None


@dataclass(frozen=True)
class AccountScore:
    account_id: int
    parts: tuple[Part, ...]
    is_mqa: bool
    people_engaged: int
    roles_engaged: tuple[str, ...]
    roles_missing: tuple[str, ...]
    last_touch_us: int | None

    def section(self, name: str) -> Decimal:
        return sum((p.points for p in self.parts if p.section == name), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return sum((p.points for p in self.parts), Decimal("0.00"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "total": str(self.total),
            **{s: str(self.section(s)) for s in ("fit", "engagement", "intent", "coverage")},
            "is_mqa": self.is_mqa,
            "people_engaged": self.people_engaged,
            "roles_engaged": list(self.roles_engaged),
            "roles_missing": list(self.roles_missing),
            "parts": [
                {"section": p.section, "id": p.id, "points": str(p.points), "detail": p.detail}
                for p in self.parts
            ],
        }


def _points(cents: int) -> Decimal:
    return Decimal(cents) * _CENT


def weight_units(model: AccountScoreModel) -> dict[str, int]:
    """Activity type -> its weight in units of 0.0001 point."""
    return {k: to_cents(v) * UNITS_PER_CENT for k, v in model.engagement.weights.items()}


def decayed_units(units: int, age_us: int, half_life_days: float) -> int:
    """One touch's decayed units (the lead score's arithmetic, mirrored in `rescore.py`)."""
    return round_half_away(units * 0.5 ** ((age_us / US_PER_DAY) / half_life_days))


def rollup(model: AccountScoreModel, facts: AccountFacts, as_of_us: int) -> Engagement:
    """Aggregate the account's touches inside the window, per engagement part."""
    weights = weight_units(model)
    window = model.engagement.window_days * US_PER_DAY
    per_person: dict[int, int] = defaultdict(int)
    decayed: dict[str, int] = defaultdict(int)
    last = None
    for touch in facts.touches:
        age = as_of_us - touch.t
        units = weights.get(touch.type)
        if units is None or age < 0 or age >= window:
            continue
        per_person[touch.contact_id] += units
        last = touch.t if last is None else max(last, touch.t)
        for part in model.engagement.parts:
            if part.aggregation == "decayed_sum":
                decayed[part.id] += decayed_units(units, age, part.half_life_days or 1)
    roles = frozenset(
        r for c in per_person if (r := facts.roles.get(c)) is not None and r != NO_ROLE
    )
    aggregates = {}
    for part in model.engagement.parts:
        aggregates[part.id] = _aggregate(part, per_person.values(), decayed[part.id], roles)
    return Engagement(aggregates, len(per_person), roles, last)


def _aggregate(part: EngagementPart, people: Iterable[int], decayed: int, roles: frozenset) -> int:
    match part.aggregation:
        case "sum":
            cap = None if part.person_cap is None else to_cents(part.person_cap) * UNITS_PER_CENT
            return sum(u if cap is None else min(u, cap) for u in people)
        case "max":
            return max(people, default=0)
        case "decayed_sum":
            return decayed
        case "distinct_people":
            return sum(1 for _ in people)
        case "distinct_roles":
            return len(roles)
    raise ValueError(part.aggregation)


def part_cents(part: EngagementPart, aggregate: int) -> int:
    """An engagement part's cents from its aggregate: aggregate x per, at most the cap."""
    per = to_cents(part.per)
    if part.aggregation in ("distinct_people", "distinct_roles"):
        raw = aggregate * per
    else:  # units x cents -> cents, halves up (aggregates are never negative)
        raw = (aggregate * per + UNIT_CENT_SCALE // 2) // UNIT_CENT_SCALE
    return min(raw, to_cents(part.cap))


def engagement_part(part: EngagementPart, aggregate: int) -> Part | None:
    """The part one roll-up gives (None when worth nothing), explained."""
    cents = part_cents(part, aggregate)
    if not cents:
        return None
    unit = "" if part.aggregation.startswith("distinct") else " points"
    shown = aggregate if unit == "" else _points(aggregate // UNITS_PER_CENT)
    detail = f"{part.aggregation} = {shown}{unit} x {part.per:g}, cap {part.cap:g}"
    return Part("engagement", part.id, _points(cents), detail)


def engagement_parts(model: AccountScoreModel, found: Engagement) -> list[Part]:
    parts = (engagement_part(p, found.aggregates.get(p.id, 0)) for p in model.engagement.parts)
    return [p for p in parts if p is not None]


def fit_part(rule: Any) -> Part:
    return Part("fit", rule.id, _points(to_cents(rule.points)), f"{rule.field} {rule.op}")


def fit_parts(model: AccountScoreModel, fields: Mapping[str, Any]) -> list[Part]:
    return [fit_part(r) for r in model.fit.rules if fit_matches(r, fields.get(r.field))]


def intent_part(rule: IntentRule, count: int) -> Part | None:
    cents = min(count * to_cents(rule.points), to_cents(rule.cap))
    return Part("intent", rule.id, _points(cents), f"{count} signals") if cents else None


def intent_parts(model: AccountScoreModel, signals: Sequence[Signal], as_of_us: int) -> list[Part]:
    if model.intent is None:
        return []
    window = model.intent.window_days * US_PER_DAY
    parts = []
    for rule in model.intent.rules:
        topics = {t.lower() for t in rule.topics}
        count = sum(
            1
            for s in signals
            if s.topic.lower() in topics
            and s.strength >= rule.min_strength
            and 0 <= as_of_us - s.t < window
        )
        if (part := intent_part(rule, count)) is not None:
            parts.append(part)
    return parts


def coverage_cents(top_cents: int, covered: int, needed: int) -> int:
    """The coverage share of the section's max, in cents, halves up."""
    return (2 * top_cents * covered + needed) // (2 * needed)


def coverage(model: AccountScoreModel, engaged: frozenset[str]) -> tuple[list[Part], list[str]]:
    """The coverage part (share of template roles present and engaged) and the missing roles."""
    if model.coverage is None:
        return [], []
    wanted = list(dict.fromkeys(model.coverage.roles))
    covered = [r for r in wanted if r in engaged]
    missing = [r for r in wanted if r not in engaged]
    n = len(wanted)
    cents = coverage_cents(to_cents(model.coverage.max), len(covered), n)
    detail = f"{len(covered)} of {n} roles engaged" + (
        f"; missing {', '.join(missing)}" if missing else ""
    )
    return [Part("coverage", "roles", _points(cents), detail)], missing


def assemble(
    model: AccountScoreModel,
    account_id: int,
    fields: Mapping[str, Any],
    found: Engagement,
    signals: Sequence[Signal],
    as_of_us: int,
) -> AccountScore:
    """The score from the roll-up's aggregates (shared by the engine and the bulk rescore)."""
    cover, missing = coverage(model, found.roles)
    parts = (
        fit_parts(model, fields)
        + engagement_parts(model, found)
        + intent_parts(model, signals, as_of_us)
        + cover
    )
    score = AccountScore(
        account_id=account_id,
        parts=tuple(parts),
        is_mqa=False,
        people_engaged=found.people,
        roles_engaged=tuple(sorted(found.roles)),
        roles_missing=tuple(missing),
        last_touch_us=found.last_t,
    )
    return _with_mqa(model, score)


def _with_mqa(model: AccountScoreModel, score: AccountScore) -> AccountScore:
    rule = model.mqa
    checks = [(rule.total, score.total)] + [
        (getattr(rule, s), score.section(s)) for s in ("fit", "engagement", "coverage")
    ]
    met = all(_points(to_cents(t)) <= v for t, v in checks if t is not None)
    return AccountScore(**{**score.__dict__, "is_mqa": met})


def score_account(
    model: AccountScoreModel, facts: AccountFacts, *, as_of: datetime
) -> AccountScore:
    """One account's score as of `as_of`, explained part by part."""
    now = epoch_us(as_of)
    found = rollup(model, facts, now)
    return assemble(model, facts.account_id, facts.fields, found, facts.signals, now)


def mqa_rule_text(model: AccountScoreModel) -> str:
    rule = model.mqa
    given = [(k, getattr(rule, k)) for k in ("total", "fit", "engagement", "coverage")]
    return " and ".join(f"{k} >= {v:g}" for k, v in given if v is not None)
