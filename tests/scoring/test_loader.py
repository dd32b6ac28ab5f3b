"""Loading YAML: every problem is reported with file:line, and nothing stops at the first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.scoring.loader import ModelInvalid, check_file, load_model, load_model_text, parse_model

from .scoring_support import EXAMPLE

HEADER = """\
name: t
version: 1
mql: {total: 10}
grades: {A: 30, B: 20, C: 10}
"""


def issues_of(body: str) -> list[tuple[int | None, str, str]]:
    _, issues = parse_model(HEADER + body, filename="m.yaml")
    return [(i.line, i.level, i.message) for i in issues]


@pytest.mark.parametrize(
    ("body", "line", "needle"),
    [
        # bad type
        (
            "fit_rules:\n  - {id: a, field: contact.need, op: exists, points: ten}\n",
            6,
            "fit_rules[0].points: Input should be a valid number",
        ),
        # unknown field
        (
            "fit_rules:\n  - id: a\n    field: contact.need\n    op: exists\n    points: 1\n"
            "    colour: red\n",
            10,
            "fit_rules[0].colour: unknown field 'colour'",
        ),
        # missing points
        (
            "behaviour_rules:\n  - id: b\n    activity_type: page_view\n",
            6,
            "behaviour_rules[0].points: required field is missing",
        ),
        # bad regex
        (
            "fit_rules:\n  - id: a\n    field: contact.title\n    op: regex\n"
            "    pattern: '(vp'\n    points: 1\n",
            9,
            "bad regex '(vp'",
        ),
        # bad operator
        (
            "fit_rules:\n  - id: a\n    field: contact.title\n    op: like\n    points: 1\n",
            8,
            "fit_rules[0].op: Input tag 'like'",
        ),
        # missing operator
        ("fit_rules:\n  - id: a\n    field: contact.title\n    points: 1\n", 6, "missing 'op'"),
        # more than 2 decimals
        (
            "fit_rules:\n  - {id: a, field: contact.need, op: exists, points: 1.234}\n",
            6,
            "at most 2 decimals",
        ),
        # bad nested value
        (
            "behaviour_rules:\n  - id: b\n    activity_type: page_view\n    points: 1\n"
            "    decay: {half_life_days: -3}\n",
            9,
            "behaviour_rules[0].decay.half_life_days",
        ),
        (
            "behaviour_rules:\n  - id: b\n    activity_type: page_view\n    points: 1\n"
            "    filters:\n      channel: [pigeon]\n",
            10,
            "filters.channel[0]: Input should be",
        ),
        # a key given twice would silently win in plain YAML
        ("description: a\ndescription: b\n", 6, "description: duplicate key"),
    ],
)
def test_errors_point_at_the_line(body: str, line: int, needle: str) -> None:
    found = issues_of(body)
    assert any(ln == line and lvl == "error" and needle in msg for ln, lvl, msg in found), found


def test_yaml_syntax_error_has_a_line() -> None:
    found = issues_of("fit_rules:\n  - id: a\n   bad: [\n")
    assert found and found[0][1] == "error" and found[0][0] is not None
    assert "YAML syntax" in found[0][2]


def test_every_error_is_reported() -> None:
    body = (
        "fit_rules:\n"
        "  - {id: a, field: contact.need, op: exists, points: x}\n"
        "  - {id: b, field: contact.need, op: exists}\n"
        "  - {id: c, field: contact.need, op: exists, points: 1, extra: 1}\n"
    )
    assert [line for line, _, _ in issues_of(body)] == [6, 7, 8]


def test_not_a_mapping() -> None:
    _, issues = parse_model("- 1\n- 2\n", filename="m.yaml")
    assert issues[0].format() == "m.yaml:1: error: a scoring model must be a YAML mapping"


def test_load_model_raises_with_every_issue(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(HEADER + "behaviour_rules:\n  - {id: b, activity_type: nope, points: 1}\n")
    with pytest.raises(ModelInvalid) as caught:
        load_model(path)
    formatted = [i.format() for i in caught.value.issues]
    assert f"{path}:6: error: unknown activity type 'nope'" in formatted
    assert f"{path}:4: warning: grade A cut-off 30 is above the maximum fit 0" in formatted


def test_unreadable_file_is_an_issue(tmp_path: Path) -> None:
    model, issues = check_file(tmp_path / "missing.yaml")
    assert model is None and issues[0].level == "error" and "cannot read" in issues[0].message


def test_example_model_is_clean() -> None:
    model, issues = check_file(EXAMPLE)
    assert model is not None and issues == []
    assert load_model_text(EXAMPLE.read_text()) == model
