"""The readable diff an approver sees: rules matched by id, settings key by key."""

from __future__ import annotations

from tandem.scoring.diff import diff_models

from .scoring_support import make_model

RULE = {"id": "vp", "field": "contact.job_level", "op": "equals", "value": "vp", "points": 10}


def test_changes_by_rule_id_and_setting() -> None:
    old = make_model(
        fit_rules=[RULE, {**RULE, "id": "gone", "value": "cto"}],
        behaviour_rules=[{"id": "demo", "activity_type": "demo_request", "points": 30}],
    )
    new = make_model(
        version=2,
        fit_rules=[{**RULE, "id": "new", "value": "ceo"}, {**RULE, "points": 15}],
        behaviour_rules=[
            {
                "id": "demo",
                "activity_type": "demo_request",
                "points": 30,
                "decay": {"window_days": 30},
            }
        ],
        mql={"total": 20},
    )
    diff = diff_models(old, new, old_text="a\nb\n", new_text="a\nc\n")
    found = {(c.kind, c.key): c for c in diff.changes}
    assert set(found) == {
        ("added", "new"),
        ("changed", "vp"),
        ("removed", "gone"),
        ("changed", "demo"),
        ("changed", "mql"),
    }
    assert found[("changed", "vp")].details == ("points: 10 -> 15",)
    assert found[("changed", "demo")].details == ("decay.window_days: (none) -> 30",)
    assert found[("changed", "mql")].details == ("total: 10 -> 20",)
    assert "value: ceo" in found[("added", "new")].details
    assert "-b" in diff.text_diff and "+c" in diff.text_diff


def test_moved_rules_and_first_versions() -> None:
    model = make_model(fit_rules=[RULE, {**RULE, "id": "b"}])
    moved = make_model(fit_rules=[{**RULE, "id": "b"}, RULE])
    assert diff_models(model, moved).empty
    first = diff_models(None, model)
    assert [c.kind for c in first.changes] == ["added", "added", "changed", "changed"]
