"""A readable diff between two scoring model versions: what an approver needs to see.

Rules are matched by id, so a moved rule is not a change and a renamed one shows as removed
plus added. Each change says what it means in the model's own words ("points 5 -> 10"), and
the MQL rule and grade cut-offs are compared key by key. The line diff of the YAML is there too
for the comments and descriptions a semantic diff leaves out. Pure: no I/O.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Literal

from tandem.scoring.model import ScoringModel

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True, slots=True)
class Change:
    """One difference: a rule (by id) or a model setting (`mql`, `grades`, `description`)."""

    kind: ChangeKind
    section: str  # fit_rules, behaviour_rules, mql, grades, model
    key: str  # rule id or setting name
    details: tuple[str, ...] = ()
    summary: str = ""


@dataclass(frozen=True, slots=True)
class ModelDiff:
    """All changes from `old` to `new` (old None: everything is added) and the YAML line diff."""

    changes: tuple[Change, ...]
    text_diff: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """No rule or setting changed (comments may still have)."""
        return not self.changes


def _fmt(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    return str(value)


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and key != "properties":
            out.update(_flat(value, f"{name}."))
        else:
            out[name] = value
    return out


def _rule_summary(rule: dict[str, Any]) -> str:
    where = rule.get("field") or rule.get("activity_type")
    return f"{where}: {_fmt(rule.get('points'))} points"


def _compare(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    before, after = _flat(old), _flat(new)
    lines = []
    for key in dict.fromkeys([*before, *after]):
        a, b = before.get(key), after.get(key)
        if a != b:
            lines.append(f"{key}: {_fmt(a)} -> {_fmt(b)}")
    return tuple(lines)


def _rules(section: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    before = {r["id"]: r for r in old}
    after = {r["id"]: r for r in new}
    changes = []
    for rule_id, rule in after.items():
        if rule_id not in before:
            details = tuple(f"{k}: {_fmt(v)}" for k, v in _flat(rule).items() if k != "id")
            changes.append(Change("added", section, rule_id, details, _rule_summary(rule)))
        elif before[rule_id] != rule:
            details = _compare(before[rule_id], rule)
            changes.append(Change("changed", section, rule_id, details, _rule_summary(rule)))
    for rule_id, rule in before.items():
        if rule_id not in after:
            changes.append(Change("removed", section, rule_id, (), _rule_summary(rule)))
    return changes


def _dump(model: ScoringModel | None) -> dict[str, Any]:
    if model is None:
        return {"fit_rules": [], "behaviour_rules": [], "mql": {}, "grades": {}, "description": ""}
    return model.model_dump(mode="json", exclude_defaults=True)


def diff_models(
    old: ScoringModel | None,
    new: ScoringModel,
    *,
    old_text: str = "",
    new_text: str = "",
    old_label: str = "active",
    new_label: str = "proposed",
) -> ModelDiff:
    """Every rule and setting that differs between `old` and `new`, rules matched by id."""
    a, b = _dump(old), _dump(new)
    changes = _rules("fit_rules", a.get("fit_rules", []), b.get("fit_rules", []))
    changes += _rules("behaviour_rules", a.get("behaviour_rules", []), b.get("behaviour_rules", []))
    for section in ("mql", "grades"):
        details = _compare(a.get(section, {}), b.get(section, {}))
        if details:
            changes.append(Change("changed", section, section, details))
    if a.get("description", "") != b.get("description", ""):
        changes.append(Change("changed", "model", "description", ("description changed",)))
    lines = difflib.unified_diff(
        old_text.splitlines(), new_text.splitlines(), old_label, new_label, lineterm=""
    )
    return ModelDiff(tuple(changes), tuple(lines))
