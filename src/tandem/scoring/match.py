"""Whether one fit rule matches a field value, and one behaviour rule an activity.

The bulk rescore (`rescore.py`) mirrors these semantics in Polars expressions; a property-based
test keeps the two in step.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from tandem.scoring.facts import ActivityFact
from tandem.scoring.model import (
    BehaviourRule,
    EqualsRule,
    ExistsRule,
    FitRule,
    InRule,
    RangeRule,
    RegexRule,
    Scalar,
)


@lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    """Patterns are searched anywhere in the text, ignoring case."""
    return re.compile(pattern, re.IGNORECASE)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def scalar_equals(actual: Any, expected: Scalar) -> bool:
    """Typed equality: text ignores case, numbers compare as numbers, bools as bools."""
    if isinstance(expected, bool):
        return isinstance(actual, bool) and actual == expected
    if isinstance(expected, str):
        return isinstance(actual, str) and actual.lower() == expected.lower()
    return _is_number(actual) and actual == expected


def fit_matches(rule: FitRule, value: Any) -> bool:
    """True when `value` (None when the field is absent) satisfies the fit rule."""
    match rule:
        case EqualsRule():
            return scalar_equals(value, rule.value)
        case InRule():
            return any(scalar_equals(value, v) for v in rule.values)
        case RangeRule():
            return (
                _is_number(value)
                and (rule.min is None or value >= rule.min)
                and (rule.max is None or value < rule.max)
            )
        case RegexRule():
            return isinstance(value, str) and compiled(rule.pattern).search(value) is not None
        case ExistsRule():
            return (value is not None and value != "") == rule.present
    raise TypeError(f"unknown fit rule {rule!r}")


def property_text(value: Any) -> str | None:
    """Properties compare as lower-cased text: strings as is, other values as JSON."""
    if value is None:
        return None
    return (value if isinstance(value, str) else json.dumps(value)).lower()


def activity_matches(rule: BehaviourRule, activity: ActivityFact) -> bool:
    """True when the activity has the rule's type and passes every filter (time aside)."""
    if activity.activity_type != rule.activity_type:
        return False
    f = rule.filters
    if f.asset_stage is not None and activity.asset_stage not in f.asset_stage:
        return False
    if f.campaign is not None and activity.campaign not in f.campaign:
        return False
    if f.channel is not None and activity.channel not in f.channel:
        return False
    if f.url_pattern is not None and (
        activity.url is None or compiled(f.url_pattern).search(activity.url) is None
    ):
        return False
    if f.properties:
        for key, expected in f.properties.items():
            actual = property_text(activity.properties.get(key))
            if actual is None or actual != property_text(expected):
                return False
    return True
