"""Validation rules for a parsed scoring model: one function per concern.

Each rule takes the model and the SourceMap of its file and yields Issues located at the key
that causes them. `validate_model` runs them all; nothing stops at the first problem.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterator

from tandem.activities import types as activity_types
from tandem.definitions.base import Issue
from tandem.scoring.fields import KNOWN_FIELDS, OP_KINDS
from tandem.scoring.issues import SourceMap
from tandem.scoring.model import RangeRule, RegexRule, ScoringModel

ValidationRule = Callable[[ScoringModel, SourceMap], Iterator[Issue]]


def duplicate_rule_ids(model: ScoringModel, src: SourceMap) -> Iterator[Issue]:
    """Rule ids key explanations and stored parts, so they must be unique across the model."""
    seen: dict[str, str] = {}
    for kind, rules in (("fit_rules", model.fit_rules), ("behaviour_rules", model.behaviour_rules)):
        for i, rule in enumerate(rules):
            if rule.id in seen:
                msg = f"duplicate rule id '{rule.id}' (first used in {seen[rule.id]})"
                yield src.issue("error", (kind, i, "id"), msg, "duplicate-id")
            else:
                seen[rule.id] = f"{kind}[{i}]"


def unknown_activity_types(model: ScoringModel, src: SourceMap) -> Iterator[Issue]:
    """Behaviour rules must name a registered activity type, or they would never fire."""
    known = [t.key for t in activity_types.all_types()]
    for i, rule in enumerate(model.behaviour_rules):
        if not activity_types.is_known(rule.activity_type):
            close = difflib.get_close_matches(rule.activity_type, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            msg = f"unknown activity type '{rule.activity_type}'{hint}"
            yield src.issue("error", ("behaviour_rules", i, "activity_type"), msg, "activity-type")


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    # The bulk rescore runs the same pattern through Polars (Rust regex), which lacks
    # look-around and back-references; refuse what only one engine understands.
    import polars as pl

    try:
        pl.Series([""], dtype=pl.String).str.contains(pattern)
    except Exception as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip().startswith("error:")]
        reason = lines[-1].removeprefix("error:").strip() if lines else str(exc).splitlines()[0]
        return f"not supported by the bulk rescore engine: {reason}"
    return None


def bad_regexes(model: ScoringModel, src: SourceMap) -> Iterator[Issue]:
    """Regex fit rules and URL patterns must compile in both engines."""
    for i, rule in enumerate(model.fit_rules):
        if isinstance(rule, RegexRule) and (problem := _regex_problem(rule.pattern)):
            msg = f"bad regex {rule.pattern!r}: {problem}"
            yield src.issue("error", ("fit_rules", i, "pattern"), msg, "regex")
    for i, rule in enumerate(model.behaviour_rules):
        pattern = rule.filters.url_pattern
        if pattern is not None and (problem := _regex_problem(pattern)):
            msg = f"bad regex {pattern!r}: {problem}"
            path = ("behaviour_rules", i, "filters", "url_pattern")
            yield src.issue("error", path, msg, "regex")


def empty_ranges(model: ScoringModel, src: SourceMap) -> Iterator[Issue]:
    """A range needs a bound, and min must be below max (max is exclusive)."""
    for i, rule in enumerate(model.fit_rules):
        if not isinstance(rule, RangeRule):
            continue
        if rule.min is None and rule.max is None:
            yield src.issue("error", ("fit_rules", i), "range needs min, max or both", "range")
        elif rule.min is not None and rule.max is not None and rule.min >= rule.max:
            msg = f"range is empty: min {rule.min:g} must be below max {rule.max:g}"
            yield src.issue("error", ("fit_rules", i, "min"), msg, "range")


def grade_order(model: ScoringModel, src: SourceMap) -> Iterator[Issue]:
    """Grade cut-offs must fall from A to C, or a grade could never be given."""
    g = model.grades
    if not g.A > g.B > g.C:
        msg = f"grade cut-offs must satisfy A > B > C (got A={g.A:g}, B={g.B:g}, C={g.C:g})"
        yield src.issue("error", ("grades",), msg, "grades")


def max_fit(model: ScoringModel) -> float:
    """Upper bound of the fit score: every positive fit rule matching at once."""
    return sum(r.points for r in model.fit_rules if r.points > 0)


def max_engagement(model: ScoringModel) -> float:
    """Upper bound of engagement: infinite unless every positive behaviour rule has a cap."""
    total = 0.0
    for rule in model.behaviour_rules:
        if rule.points > 0:
            if rule.cap is None:
                return math.inf
            total += rule.cap
    return total


def reachable_thresholds(model: ScoringModel, src: SourceMap) -> Iterator[Issue]:
    """An MQL threshold above the most points the rules can give would never fire."""
    mql, fit_max, eng_max = model.mql, max_fit(model), max_engagement(model)
    checks = (("fit", mql.fit, fit_max), ("engagement", mql.engagement, eng_max))
    for name, threshold, most in (*checks, ("total", mql.total, fit_max + eng_max)):
        if threshold is not None and threshold > most:
            msg = f"MQL {name} threshold {threshold:g} is unreachable: at most {most:g} points"
            yield src.issue("error", ("mql", name), msg, "unreachable")
        elif threshold is not None and threshold <= 0:
            msg = f"MQL {name} threshold {threshold:g} makes contacts with no points MQLs"
            yield src.issue("warning", ("mql", name), msg, "threshold")
    if fit_max < model.grades.A:
        msg = f"grade A cut-off {model.grades.A:g} is above the maximum fit {fit_max:g}"
        yield src.issue("warning", ("grades", "A"), msg, "unreachable")


def field_names(model: ScoringModel, src: SourceMap) -> Iterator[Issue]:
    """Flag unknown fields (likely typos) and operators that cannot match the field's kind."""
    for i, rule in enumerate(model.fit_rules):
        kind = KNOWN_FIELDS.get(rule.field)
        if kind is None:
            close = difflib.get_close_matches(rule.field, list(KNOWN_FIELDS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            msg = f"unknown field '{rule.field}'{hint}"
            yield src.issue("warning", ("fit_rules", i, "field"), msg, "field")
        elif kind not in OP_KINDS[rule.op]:
            msg = f"'{rule.op}' cannot match {rule.field}, which holds {kind} values"
            yield src.issue("error", ("fit_rules", i, "op"), msg, "field-kind")


def idle_rules(model: ScoringModel, src: SourceMap) -> Iterator[Issue]:
    """Rules worth zero points or caps that can never bind are probably mistakes."""
    for kind, rules in (("fit_rules", model.fit_rules), ("behaviour_rules", model.behaviour_rules)):
        for i, rule in enumerate(rules):
            if rule.points == 0:
                msg = f"rule '{rule.id}' gives 0 points"
                yield src.issue("warning", (kind, i, "points"), msg, "zero-points")
    for i, b in enumerate(model.behaviour_rules):
        if b.cap is not None and b.daily_cap is not None and b.daily_cap >= b.cap:
            msg = f"daily_cap {b.daily_cap:g} never binds: the rule cap is {b.cap:g}"
            yield src.issue("warning", ("behaviour_rules", i, "daily_cap"), msg, "cap")


RULES: tuple[ValidationRule, ...] = (
    duplicate_rule_ids,
    unknown_activity_types,
    bad_regexes,
    empty_ranges,
    grade_order,
    reachable_thresholds,
    field_names,
    idle_rules,
)


def validate_model(model: ScoringModel, source_map: SourceMap | None = None) -> list[Issue]:
    """Run every validation rule; a model built in code gets issues without line numbers."""
    src = source_map or SourceMap("<model>")
    return [issue for rule in RULES for issue in rule(model, src)]
