"""The account score model's checks, one per concern, each issue at file:line."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator

from tandem.accounts.fields import FIT_FIELDS, OP_KINDS
from tandem.accounts.loading import at
from tandem.accounts.score_model import AccountScoreModel
from tandem.activities import types
from tandem.definitions.base import Issue
from tandem.scoring.issues import SourceMap
from tandem.scoring.model import EqualsRule, FitRule, InRule, RangeRule


def fit_fields(model: AccountScoreModel, src: SourceMap) -> Iterator[Issue]:
    for i, rule in enumerate(model.fit.rules):
        kind = FIT_FIELDS.get(rule.field)
        if kind is None:
            known = ", ".join(sorted(FIT_FIELDS))
            yield at(
                src,
                ("fit", "rules", i, "field"),
                f"unknown field {rule.field!r} (known: {known})",
                "unknown-field",
            )
        elif kind not in OP_KINDS[rule.op]:
            yield at(
                src,
                ("fit", "rules", i, "op"),
                f"{rule.op} cannot match {rule.field} ({kind})",
                "field-kind",
            )


def activity_types(model: AccountScoreModel, src: SourceMap) -> Iterator[Issue]:
    for key in model.engagement.weights:
        if not types.is_known(key):
            yield at(
                src,
                ("engagement", "weights", key),
                f"unknown activity type {key!r}",
                "activity-type",
            )


def part_options(model: AccountScoreModel, src: SourceMap) -> Iterator[Issue]:
    ids: set[str] = set()
    for i, part in enumerate(model.engagement.parts):
        where = ("engagement", "parts", i)
        if part.id in ids:
            yield at(src, (*where, "id"), f"duplicate part id {part.id!r}", "duplicate-id")
        ids.add(part.id)
        if part.aggregation == "decayed_sum" and part.half_life_days is None:
            yield at(src, where, "decayed_sum needs half_life_days", "decay")
        if part.aggregation != "decayed_sum" and part.half_life_days is not None:
            yield at(src, (*where, "half_life_days"), "half_life_days is for decayed_sum only")
        if part.aggregation != "sum" and part.person_cap is not None:
            yield at(src, (*where, "person_cap"), "person_cap is for sum only")


def _exclusive(rules: list[FitRule]) -> bool:
    """True when at most one of these rules (all on one field) can match at once."""
    if all(isinstance(r, RangeRule) for r in rules):
        bands = sorted(
            (r.min if r.min is not None else float("-inf"), r.max or float("inf"))
            for r in rules  # type: ignore[union-attr]
        )
        return all(a[1] <= b[0] for a, b in zip(bands, bands[1:], strict=False))
    if all(isinstance(r, EqualsRule | InRule) for r in rules):
        seen: set[str] = set()
        for r in rules:
            values = {str(v).lower() for v in (r.values if isinstance(r, InRule) else (r.value,))}
            if seen & values:
                return False
            seen |= values
        return True
    return False


def max_fit(model: AccountScoreModel) -> float:
    """The most the fit rules can give (rules on one field that exclude each other: the best)."""
    by_field: dict[str, list[FitRule]] = defaultdict(list)
    for rule in model.fit.rules:
        if rule.points > 0:
            by_field[rule.field].append(rule)
    total = 0.0
    for rules in by_field.values():
        points = [r.points for r in rules]
        total += max(points) if _exclusive(rules) else sum(points)
    return round(total, 2)


def section_maxima(model: AccountScoreModel) -> dict[str, float]:
    """What each section's parts can reach at most."""
    found = {
        "fit": max_fit(model),
        "engagement": round(sum(p.cap for p in model.engagement.parts), 2),
    }
    if model.intent is not None:
        found["intent"] = round(sum(r.cap for r in model.intent.rules), 2)
    if model.coverage is not None:
        found["coverage"] = model.coverage.max
    return found


def parts_sum(model: AccountScoreModel, src: SourceMap) -> Iterator[Issue]:
    """Each section's parts stay within its `max`, and the maxima sum to the `scale`."""
    reach = section_maxima(model)
    for section, limit in model.sections():
        if reach[section] > limit:
            yield at(
                src,
                (section, "max"),
                f"the {section} parts can give {reach[section]:g} "
                f"points, over the section's max {limit:g}",
                "cannot-sum",
            )
    total = round(sum(limit for _, limit in model.sections()), 2)
    if total != model.scale:
        shown = " + ".join(f"{s} {m:g}" for s, m in model.sections())
        yield at(
            src,
            ("scale",),
            f"the sections' maxima ({shown}) sum to {total:g}, not the scale {model.scale:g}",
            "cannot-sum",
        )


def mqa_reachable(model: AccountScoreModel, src: SourceMap) -> Iterator[Issue]:
    reach = section_maxima(model)
    reach["total"] = sum(reach.values())
    for key in ("total", "fit", "engagement", "coverage"):
        value = getattr(model.mqa, key)
        if value is not None and value > reach.get(key, 0):
            yield at(
                src,
                ("mqa", key),
                f"an MQA {key} threshold of {value:g} is above the "
                f"most the model gives ({reach.get(key, 0):g})",
                "unreachable",
            )


def roles_known(roles: Collection[str]):
    """A check that every coverage role is one of the configured buying roles."""

    def check(model: AccountScoreModel, src: SourceMap) -> Iterator[Issue]:
        if model.coverage is None:
            return
        for i, role in enumerate(model.coverage.roles):
            if role not in roles:
                yield at(
                    src,
                    ("coverage", "roles", i),
                    f"role {role!r} is not a configured buying role ({', '.join(sorted(roles))})",
                    "unknown-role",
                )

    return check


CHECKS = (fit_fields, activity_types, part_options, parts_sum, mqa_reachable)
