"""Engine maths: decay, windows, caps, daily caps, as_of, grades, MQL and incremental state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tandem.scoring.engine import (
    ScoreState,
    add_activity,
    mql_crossing,
    prune_state,
    score_contact,
    score_state,
    state_from_activities,
)
from tandem.scoring.facts import ActivityFact, ContactFacts

from .scoring_support import AS_OF, make_model

D = Decimal
NOBODY = ContactFacts(1, {})


def rule(**kw: Any) -> dict[str, Any]:
    return {"id": "r", "activity_type": "page_view", "points": 10} | kw


def views(*ages_days: float, kind: str = "page_view") -> list[ActivityFact]:
    return [ActivityFact(1, kind, AS_OF - timedelta(days=a)) for a in ages_days]


def engagement(rule_data: dict[str, Any], acts: list[ActivityFact]) -> Decimal:
    model = make_model(behaviour_rules=[rule_data])
    return score_contact(model, NOBODY, acts, as_of=AS_OF).engagement


@pytest.mark.parametrize(
    ("rule_data", "ages", "expected"),
    [
        (rule(), [0, 10, 400], D("30.00")),  # no decay: full points forever
        (rule(decay={"half_life_days": 10}), [10], D("5.00")),
        (rule(decay={"half_life_days": 10}), [20], D("2.50")),
        (rule(decay={"half_life_days": 10}), [0, 10, 20], D("17.50")),
        (rule(decay={"half_life_days": 7}), [1], D("9.06")),  # 10 * 0.5 ** (1/7) = 9.0572
        (rule(decay={"window_days": 30}), [0, 29.9, 30, 31], D("20.00")),
        (rule(decay={"window_days": 30, "half_life_days": 10}), [10, 35], D("5.00")),
        (rule(cap=25), [0, 1, 2], D("25.00")),
        (rule(daily_cap=15), [0, 0, 0, 5], D("25.00")),  # 3 on one day -> 15, plus 10
        (rule(daily_cap=15, cap=20), [0, 0, 0, 5], D("20.00")),
        (rule(points=-10, cap=15), [0, 1, 2], D("-15.00")),  # caps bound the size
        (rule(points=-10, decay={"window_days": 5}), [1, 9], D("-10.00")),
        (rule(points=0.01, decay={"half_life_days": 1}), [0, 0, 0], D("0.03")),
        # each occurrence rounds to 0.0001 point; below half a unit it stops counting
        (rule(points=0.01, decay={"half_life_days": 1}), [7], D("0.00")),
        (rule(points=1, decay={"half_life_days": 1}), [1, 1, 1], D("1.50")),
    ],
)
def test_behaviour_maths(rule_data: dict[str, Any], ages: list[float], expected: Decimal) -> None:
    assert engagement(rule_data, views(*ages)) == expected


def test_daily_cap_uses_utc_days() -> None:
    model = make_model(behaviour_rules=[rule(daily_cap=10)])
    late = datetime(2024, 5, 1, 23, 59, tzinfo=UTC)
    early = datetime(2024, 5, 2, 0, 1, tzinfo=UTC)
    acts = [ActivityFact(1, "page_view", t) for t in (late, early)]
    assert score_contact(model, NOBODY, acts, as_of=AS_OF).engagement == D("20.00")
    same_day = [ActivityFact(1, "page_view", late), ActivityFact(1, "page_view", late)]
    result = score_contact(model, NOBODY, same_day, as_of=AS_OF)
    assert result.engagement == D("10.00")
    assert result.parts[0].capped and result.parts[0].occurrences == 2


def test_future_activities_are_ignored() -> None:
    acts = views(1) + [ActivityFact(1, "page_view", AS_OF + timedelta(seconds=1))]
    result = score_contact(make_model(behaviour_rules=[rule()]), NOBODY, acts, as_of=AS_OF)
    assert result.engagement == D("10.00")
    assert result.parts[0].occurrences == 1
    at_activity = views(0)  # an activity exactly at as_of counts
    assert engagement(rule(), at_activity) == D("10.00")


def test_explanation_and_totals() -> None:
    model = make_model(
        fit_rules=[
            {"id": "vp", "field": "contact.job_level", "op": "equals", "value": "vp", "points": 20},
            {"id": "big", "field": "account.employees", "op": "range", "min": 100, "points": 5.5},
            {
                "id": "gm",
                "field": "contact.email_domain",
                "op": "in",
                "values": ["gmail.com"],
                "points": -7.25,
            },
        ],
        behaviour_rules=[rule(), rule(id="unsub", activity_type="email_unsubscribe", points=-3)],
        mql={"fit": 18, "engagement": 10},
    )
    facts = ContactFacts(
        1,
        {"contact.job_level": "VP", "account.employees": 150, "contact.email_domain": "gmail.com"},
    )
    acts = views(1, 2) + views(3, kind="email_unsubscribe")
    result = score_contact(model, facts, acts, as_of=AS_OF)
    assert [(p.rule_id, p.points) for p in result.parts] == [
        ("vp", D("20.00")),
        ("big", D("5.50")),
        ("gm", D("-7.25")),
        ("r", D("20.00")),
        ("unsub", D("-3.00")),
    ]
    assert (result.fit, result.engagement, result.total) == (D("18.25"), D("17.00"), D("35.25"))
    assert sum(p.points for p in result.parts) == result.total
    assert result.grade == "C" and result.is_mql


@pytest.mark.parametrize(
    ("fit_points", "grade"), [(30, "A"), (29.99, "B"), (20, "B"), (10, "C"), (9.99, "D"), (-5, "D")]
)
def test_grades(fit_points: float, grade: str) -> None:
    model = make_model(
        fit_rules=[{"id": "f", "field": "contact.need", "op": "exists", "points": fit_points}]
    )
    facts = ContactFacts(1, {"contact.need": "high"})
    assert score_contact(model, facts, [], as_of=AS_OF).grade == grade


@pytest.mark.parametrize(
    ("mql", "fit", "clicks", "expected"),
    [
        ({"total": 30}, 20, 1, True),
        ({"total": 30.01}, 20, 1, False),
        ({"fit": 20, "engagement": 10}, 20, 1, True),
        ({"fit": 20, "engagement": 10}, 20, 0, False),
        ({"fit": 21, "engagement": 10}, 20, 5, False),
        ({"fit": 20, "total": 40}, 20, 2, True),
    ],
)
def test_mql_rule(mql: dict[str, float], fit: float, clicks: int, expected: bool) -> None:
    model = make_model(
        fit_rules=[{"id": "f", "field": "contact.need", "op": "exists", "points": fit}],
        behaviour_rules=[rule()],
        mql=mql,
    )
    facts = ContactFacts(1, {"contact.need": "x"})
    assert score_contact(model, facts, views(*[1] * clicks), as_of=AS_OF).is_mql is expected


def test_activities_of_other_contacts_refused() -> None:
    with pytest.raises(ValueError, match="contact 2"):
        score_contact(make_model(), NOBODY, [ActivityFact(2, "page_view", AS_OF)], as_of=AS_OF)


def test_incremental_state_matches_full_history() -> None:
    model = make_model(behaviour_rules=[rule(decay={"half_life_days": 5}, daily_cap=15)])
    acts = views(0.5, 0.7, 3, 9, 40)
    state = ScoreState()
    for a in acts:
        state = add_activity(model, state, a)
    later = AS_OF + timedelta(days=3)  # decay is applied at read time
    assert score_state(model, NOBODY, state, as_of=later) == score_contact(
        model, NOBODY, acts, as_of=later
    )
    assert state == state_from_activities(model, acts)


def test_prune_keeps_scores_from_then_on() -> None:
    model = make_model(
        behaviour_rules=[
            rule(decay={"window_days": 10}),
            rule(id="h", decay={"half_life_days": 1}),
        ]
    )
    acts = views(0, 5, 16, 20, 60)
    state = state_from_activities(model, acts)
    pruned = prune_state(model, state, as_of=AS_OF)
    # window: 20 and 60 days are out; half-life 1 day: 10 points * 2**-20 < 0.00005 is gone
    assert len(pruned.occurrences["r"]) == 2 and len(pruned.occurrences["h"]) == 3
    for days in (0, 1, 30):
        moment = AS_OF + timedelta(days=days)
        assert score_state(model, NOBODY, pruned, as_of=moment) == score_state(
            model, NOBODY, state, as_of=moment
        )


def test_mql_crossing_names_the_activity() -> None:
    model = make_model(behaviour_rules=[rule(decay={"half_life_days": 30})], mql={"total": 25})
    acts = views(10, 9, 8, 1)
    crossing = mql_crossing(model, NOBODY, acts, as_of=AS_OF)
    assert crossing is not None and crossing.activity == acts[2]
    assert crossing.at == acts[2].occurred_at and crossing.score.is_mql
    assert mql_crossing(model, NOBODY, acts[:1], as_of=AS_OF) is None


def test_mql_crossing_by_time_alone() -> None:
    model = make_model(
        fit_rules=[{"id": "f", "field": "contact.need", "op": "exists", "points": 20}],
        behaviour_rules=[
            rule(
                id="unsub", activity_type="email_unsubscribe", points=-15, decay={"window_days": 5}
            )
        ],
        mql={"total": 20},
    )
    facts = ContactFacts(1, {"contact.need": "x"})
    acts = views(8, kind="email_unsubscribe")
    crossing = mql_crossing(model, facts, acts, as_of=AS_OF)
    assert crossing is not None and crossing.activity is None and crossing.at == AS_OF
