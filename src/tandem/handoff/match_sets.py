"""Matches as sets of leads: do two rules (or tiers) overlap, and does one cover the other?

A match is a set of conditions `field -> allowed values` (case-insensitive); a field left out
allows anything. Fields are treated as independent, which is what makes this decidable without
knowing, say, which countries lie in which region.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Conditions = Mapping[str, frozenset[str]]


def conditions(match: Any, fields: Iterable[str]) -> dict[str, frozenset[str]]:
    """The constrained fields of a routing or tier match, values casefolded.

    `is_target` becomes a one-value condition ("true"/"false") so it composes like the rest.
    """
    out = {
        name: frozenset(v.casefold() for v in getattr(match, name))
        for name in fields
        if getattr(match, name)
    }
    if match.is_target is not None:
        out["is_target"] = frozenset({str(match.is_target).lower()})
    return out


def shared(a: Conditions, b: Conditions) -> dict[str, frozenset[str]] | None:
    """Values both matches accept, per field constrained by either; None when no lead fits both."""
    out = {}
    for name in a.keys() | b.keys():
        both = a[name] & b[name] if name in a and name in b else a.get(name) or b[name]
        if not both:
            return None
        out[name] = both
    return out


def covers(a: Conditions, b: Conditions) -> bool:
    """True when every lead matching `b` also matches `a`."""
    return all(name in b and b[name] <= values for name, values in a.items())


def describe(values: Mapping[str, frozenset[str]]) -> str:
    """Words for a set of conditions: "country ca; employee_band enterprise"."""
    return "; ".join(f"{k} {'/'.join(sorted(v))}" for k, v in sorted(values.items())) or "any lead"
