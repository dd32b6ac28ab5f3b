"""One test row per validation rule: the issue, its level and its line."""

from __future__ import annotations

import pytest

from tandem.scoring.loader import parse_model
from tandem.scoring.validate import validate_model

from .scoring_support import make_model  # isort: skip


def model_yaml(
    fit: str = "",
    behaviour: str = "",
    mql: str = "{total: 10}",
    grades: str = "{A: 30, B: 20, C: 10}",
) -> str:
    return (
        f"name: t\nversion: 1\nmql: {mql}\ngrades: {grades}\n"
        f"fit_rules:\n{fit or '  []'}behaviour_rules:\n{behaviour or '  []'}"
    )


FIT = "  - {id: a, field: contact.need, op: exists, points: 40}\n"
VIEW = "  - {id: v, activity_type: page_view, points: 1}\n"


@pytest.mark.parametrize(
    ("text", "code", "level", "line"),
    [
        (model_yaml(FIT + FIT, VIEW), "duplicate-id", "error", 7),
        (model_yaml(FIT, VIEW.replace("v,", "a,")), "duplicate-id", "error", 8),
        (
            model_yaml(FIT, "  - {id: v, activity_type: pageview, points: 1}\n"),
            "activity-type",
            "error",
            8,
        ),
        (
            model_yaml(
                FIT,
                "  - {id: v, activity_type: page_view, points: 1,"
                " filters: {url_pattern: '(?<=x)y'}}\n",
            ),
            "regex",
            "error",
            8,
        ),
        (
            model_yaml(
                "  - {id: r, field: account.employees, op: range, min: 9, max: 9, points: 40}\n",
                VIEW,
            ),
            "range",
            "error",
            6,
        ),
        (
            model_yaml("  - {id: r, field: account.employees, op: range, points: 40}\n", VIEW),
            "range",
            "error",
            6,
        ),
        (model_yaml(FIT, VIEW, grades="{A: 10, B: 20, C: 5}"), "grades", "error", 4),
        (model_yaml(FIT, VIEW, mql="{fit: 50, engagement: 1}"), "unreachable", "error", 3),
        (
            model_yaml(
                FIT, "  - {id: v, activity_type: page_view, points: 1, cap: 5}\n", mql="{total: 46}"
            ),
            "unreachable",
            "error",
            3,
        ),
        (model_yaml(FIT, VIEW, mql="{total: 0}"), "threshold", "warning", 3),
        (model_yaml(FIT, VIEW, grades="{A: 50, B: 20, C: 10}"), "unreachable", "warning", 4),
        (
            model_yaml("  - {id: a, field: contact.nede, op: exists, points: 40}\n", VIEW),
            "field",
            "warning",
            6,
        ),
        (
            model_yaml("  - {id: a, field: contact.title, op: range, min: 1, points: 40}\n", VIEW),
            "field-kind",
            "error",
            6,
        ),
        (
            model_yaml(FIT, "  - {id: v, activity_type: page_view, points: 0}\n"),
            "zero-points",
            "warning",
            8,
        ),
        (
            model_yaml(
                FIT, "  - {id: v, activity_type: page_view, points: 1, cap: 5, daily_cap: 5}\n"
            ),
            "cap",
            "warning",
            8,
        ),
    ],
)
def test_rule(text: str, code: str, level: str, line: int) -> None:
    _, issues = parse_model(text, filename="m.yaml")
    assert [(i.code, i.level, i.line) for i in issues] == [(code, level, line)], issues


def test_a_model_built_in_code_gets_issues_without_lines() -> None:
    model = make_model(behaviour_rules=[{"id": "b", "activity_type": "nope", "points": 1}])
    issues = [i for i in validate_model(model) if i.level == "error"]
    assert [i.format() for i in issues] == ["<model>: error: unknown activity type 'nope'"]
