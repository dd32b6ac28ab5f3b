"""Table-driven tests of fit rule and activity filter semantics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter

from tandem.scoring.facts import ActivityFact
from tandem.scoring.match import activity_matches, fit_matches
from tandem.scoring.model import BehaviourRule, FitRule

_fit = TypeAdapter(FitRule)


def fit(op: str, **kw: Any) -> FitRule:
    return _fit.validate_python({"id": "r", "field": "contact.x", "points": 1, "op": op, **kw})


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (fit("equals", value="VP"), "vp", True),
        (fit("equals", value="vp"), "vp ", False),
        (fit("equals", value="vp"), None, False),
        (fit("equals", value=5), 5, True),
        (fit("equals", value=5), 5.0, True),
        (fit("equals", value=5), "5", False),
        (fit("equals", value=True), True, True),
        (fit("equals", value=True), 1, False),
        (fit("equals", value=1), True, False),
        (fit("in", values=["a", "B"]), "b", True),
        (fit("in", values=["a", 2]), 2, True),
        (fit("in", values=["a", 2]), "c", False),
        (fit("range", min=10, max=20), 10, True),
        (fit("range", min=10, max=20), 20, False),
        (fit("range", min=10, max=20), 19.99, True),
        (fit("range", min=10), 10**9, True),
        (fit("range", max=10), -5, True),
        (fit("range", min=10, max=20), "15", False),
        (fit("range", min=0), True, False),
        (fit("range", min=0), float("nan"), False),
        (fit("regex", pattern=r"\bvp\b"), "Senior VP Sales", True),
        (fit("regex", pattern="^vp"), "Senior VP", False),
        (fit("regex", pattern="vp"), 5, False),
        (fit("exists"), "x", True),
        (fit("exists"), "", False),
        (fit("exists"), None, False),
        (fit("exists"), 0, True),
        (fit("exists", present=False), None, True),
        (fit("exists", present=False), "", True),
        (fit("exists", present=False), "x", False),
    ],
)
def test_fit_rule(rule: FitRule, value: Any, expected: bool) -> None:
    assert fit_matches(rule, value) is expected


def behaviour(**filters: Any) -> BehaviourRule:
    data = {"id": "b", "activity_type": "page_view", "points": 1, "filters": filters}
    return BehaviourRule.model_validate(data)


def act(**kw: Any) -> ActivityFact:
    base: dict[str, Any] = {
        "contact_id": 1,
        "activity_type": "page_view",
        "occurred_at": datetime(2024, 1, 1, tzinfo=UTC),
    }
    return ActivityFact(**(base | kw))


@pytest.mark.parametrize(
    ("rule", "activity", "expected"),
    [
        (behaviour(), act(), True),
        (behaviour(), act(activity_type="web_visit"), False),
        (behaviour(asset_stage=["decision"]), act(asset_stage="decision"), True),
        (behaviour(asset_stage=["decision"]), act(asset_stage="awareness"), False),
        (behaviour(asset_stage=["decision"]), act(), False),
        (behaviour(campaign=["q3-launch"]), act(campaign="q3-launch"), True),
        (behaviour(channel=["email", "paid_search"]), act(channel="paid_search"), True),
        (behaviour(channel=["email"]), act(channel="direct"), False),
        (behaviour(url_pattern="/pricing"), act(url="https://x.io/PRICING?a=1"), True),
        (behaviour(url_pattern="/pricing"), act(url="https://x.io/blog"), False),
        (behaviour(url_pattern="/pricing"), act(), False),
        (behaviour(properties={"format": "pdf"}), act(properties={"format": "PDF"}), True),
        (behaviour(properties={"n": 5}), act(properties={"n": 5}), True),
        (behaviour(properties={"n": 5}), act(properties={"n": "5"}), True),
        (behaviour(properties={"n": True}), act(properties={"n": "true"}), True),
        (behaviour(properties={"n": 5}), act(properties={}), False),
        (
            behaviour(url_pattern="pricing", channel=["email"]),
            act(url="/pricing", channel="direct"),
            False,
        ),
    ],
)
def test_activity_filter(rule: BehaviourRule, activity: ActivityFact, expected: bool) -> None:
    assert activity_matches(rule, activity) is expected


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        act(occurred_at=datetime(2024, 1, 1))
