"""Property-based checks over random models and histories.

* the explanation adds up to the score exactly;
* the vectorised rescore gives the pure engine's numbers and parts;
* incremental state and pruning change nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.scoring.engine import prune_state, score_contact, score_state, state_from_activities
from tandem.scoring.facts import ActivityFact, ContactFacts
from tandem.scoring.model import ScoringModel
from tandem.scoring.rescore import rescore

from .scoring_support import AS_OF, SCALE

WORDS = ["vp", "VP Sales", "cto", "Student", "manager", "emea", "software", "", "x"]
TEXT_FIELDS = ["contact.job_level", "contact.title", "account.region"]
NUMBER_FIELDS = ["account.employees", "account.annual_revenue"]
BOOL_FIELDS = ["account.is_target"]
TYPES = ["page_view", "content_download", "email_click", "email_unsubscribe"]
URLS = ["https://a.io/pricing", "https://a.io/careers/", "https://a.io/blog/x", "/PRICING"]
PATTERNS = ["pricing", "^https", "careers/?$", r"blog/\w+"]

points = st.integers(-5000, 5000).map(lambda c: c / 100)
caps = st.one_of(st.none(), st.integers(1, 3000).map(lambda c: c / 100))
number = st.one_of(st.integers(-10, 5000), st.floats(-10, 5000, allow_nan=False).map(float))


@st.composite
def fit_rules(draw: Any, i: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "number", "bool"]))
    base = {"id": f"f{i}", "points": draw(points)}
    if kind == "text":
        op = draw(st.sampled_from(["equals", "in", "regex", "exists"]))
        base["field"] = draw(st.sampled_from(TEXT_FIELDS))
        extra = {
            "equals": {"value": draw(st.sampled_from(WORDS))},
            "in": {"values": draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))},
            "regex": {"pattern": draw(st.sampled_from(["^vp", "sales|cto", r"\bstudent\b"]))},
            "exists": {"present": draw(st.booleans())},
        }[op]
    elif kind == "number":
        op = draw(st.sampled_from(["equals", "range", "exists"]))
        base["field"] = draw(st.sampled_from(NUMBER_FIELDS))
        lo = draw(st.one_of(st.none(), st.integers(0, 1000)))
        hi = None if lo is None else draw(st.one_of(st.none(), st.integers(lo + 1, 6000)))
        extra = {
            "equals": {"value": draw(st.integers(0, 10))},
            "range": {"min": lo, "max": hi if lo is not None else 100},
            "exists": {},
        }[op]
    else:
        op, extra = "equals", {"value": draw(st.booleans())}
        base["field"] = BOOL_FIELDS[0]
    return {**base, "op": op, **extra}


@st.composite
def behaviour_rules(draw: Any, i: int) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if draw(st.booleans()):
        filters["url_pattern"] = draw(st.sampled_from(PATTERNS))
    if draw(st.booleans()):
        filters["channel"] = draw(st.lists(st.sampled_from(["email", "direct"]), min_size=1))
    if draw(st.booleans()):
        filters["asset_stage"] = [draw(st.sampled_from(["awareness", "decision"]))]
    if draw(st.booleans()):
        filters["properties"] = {"format": draw(st.sampled_from(["pdf", 5, True]))}
    decay = draw(
        st.sampled_from(
            [
                None,
                {"half_life_days": 7},
                {"half_life_days": 0.5},
                {"window_days": 30},
                {"half_life_days": 21.5, "window_days": 60},
            ]
        )
    )
    return {
        "id": f"b{i}",
        "activity_type": draw(st.sampled_from(TYPES)),
        "points": draw(points),
        "filters": filters,
        "decay": decay,
        "cap": draw(caps),
        "daily_cap": draw(caps),
    }


@st.composite
def models(draw: Any) -> ScoringModel:
    n_fit, n_beh = draw(st.integers(0, 5)), draw(st.integers(0, 5))
    grades = sorted(draw(st.lists(st.integers(-20, 80), min_size=3, max_size=3, unique=True)))
    mql = draw(
        st.sampled_from(
            [{"total": 30}, {"fit": 10, "engagement": 5}, {"engagement": 0.5}, {"total": -10}]
        )
    )
    return ScoringModel.model_validate(
        {
            "name": "random",
            "version": 1,
            "fit_rules": [draw(fit_rules(i)) for i in range(n_fit)],
            "behaviour_rules": [draw(behaviour_rules(i)) for i in range(n_beh)],
            "mql": mql,
            "grades": {"A": grades[2], "B": grades[1], "C": grades[0]},
        }
    )


@st.composite
def contact_fields(draw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        fields[name] = draw(st.one_of(st.none(), st.sampled_from(WORDS)))
    for name in NUMBER_FIELDS:
        fields[name] = draw(st.one_of(st.none(), number.map(float)))
    fields[BOOL_FIELDS[0]] = draw(st.one_of(st.none(), st.booleans()))
    return fields


@st.composite
def activities(draw: Any, contact_id: int) -> list[ActivityFact]:
    out = []
    for _ in range(draw(st.integers(0, 12))):
        # ages from 2 days in the future to 120 days ago, with microseconds
        age = draw(st.integers(-2 * 86_400_000_000, 120 * 86_400_000_000))
        props = draw(st.sampled_from([{}, {"format": "PDF"}, {"format": 5}, {"format": True}]))
        out.append(
            ActivityFact(
                contact_id,
                draw(st.sampled_from(TYPES)),
                AS_OF - timedelta(microseconds=age),
                channel=draw(st.sampled_from([None, "email", "direct"])),
                asset_stage=draw(st.sampled_from([None, "awareness", "decision"])),
                url=draw(st.sampled_from([None, *URLS])),
                properties=props,
            )
        )
    # a burst on one day so daily caps bind
    if out and draw(st.booleans()):
        out += [ActivityFact(contact_id, out[0].activity_type, out[0].occurred_at)] * 3
    return out


@settings(max_examples=150 * SCALE, deadline=None)
@given(models(), contact_fields(), activities(1))
def test_explanation_sums_to_score(
    model: ScoringModel, fields: dict[str, Any], acts: list[ActivityFact]
) -> None:
    result = score_contact(model, ContactFacts(1, fields), acts, as_of=AS_OF)
    assert sum(p.points for p in result.parts) == result.total
    assert result.fit + result.engagement == result.total
    assert sum(p.points for p in result.parts if p.kind == "fit") == result.fit
    assert all(p.points == p.points.quantize(p.points.__class__("0.01")) for p in result.parts)
    ids = [p.rule_id for p in result.parts]
    assert ids == [r for r in model.rule_ids() if r in ids]  # model order


@settings(max_examples=100 * SCALE, deadline=None)
@given(models(), activities(1), st.integers(0, 200))
def test_incremental_and_pruned_state_score_the_same(
    model: ScoringModel, acts: list[ActivityFact], later_hours: int
) -> None:
    facts = ContactFacts(1, {})
    state = state_from_activities(model, acts)
    pruned = prune_state(model, state, as_of=AS_OF)
    moment = AS_OF + timedelta(hours=later_hours)
    full = score_contact(model, facts, acts, as_of=moment)
    assert score_state(model, facts, state, as_of=moment) == full
    assert score_state(model, facts, pruned, as_of=moment) == full


CONTACT_SCHEMA = (
    {"contact_id": pl.Int64}
    | {f: pl.String for f in TEXT_FIELDS}
    | {f: pl.Float64 for f in NUMBER_FIELDS}
    | {BOOL_FIELDS[0]: pl.Boolean}
)


def _tables(people: list[ContactFacts], acts: list[ActivityFact]) -> tuple[Any, Any]:
    import json

    contacts = pl.DataFrame(
        [{"contact_id": c.contact_id, **c.fields} for c in people], schema=CONTACT_SCHEMA
    )
    rows = [
        {
            "contact_id": a.contact_id,
            "activity_type": a.activity_type,
            "occurred_at": a.occurred_at,
            "channel": a.channel,
            "asset_stage": a.asset_stage,
            "url": a.url,
            "properties": json.dumps(dict(a.properties)),
        }
        for a in acts
    ]
    schema = {
        "contact_id": pl.Int64,
        "activity_type": pl.String,
        "occurred_at": pl.Datetime("us", "UTC"),
        "channel": pl.String,
        "asset_stage": pl.String,
        "url": pl.String,
        "properties": pl.String,
    }
    return contacts, pl.DataFrame(rows, schema=schema)


@settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), st.lists(st.tuples(contact_fields(), activities(0)), min_size=1, max_size=4))
def test_vectorised_rescore_equals_pure_engine(
    model: ScoringModel, people: list[tuple[dict[str, Any], list[ActivityFact]]]
) -> None:
    facts = [ContactFacts(i, fields) for i, (fields, _) in enumerate(people)]
    histories = [[replace(a, contact_id=i) for a in acts] for i, (_, acts) in enumerate(people)]
    contacts, acts_df = _tables(facts, [a for h in histories for a in h])
    result = rescore(model, contacts, acts_df, as_of=AS_OF)
    for f, history in zip(facts, histories, strict=True):
        pure = score_contact(model, f, history, as_of=AS_OF)
        row = result.scores.filter(pl.col("contact_id") == f.contact_id).row(0, named=True)
        assert (row["fit"], row["engagement"], row["total"]) == (
            pure.fit,
            pure.engagement,
            pure.total,
        )
        assert (row["grade"], row["is_mql"]) == (pure.grade, pure.is_mql)
        parts = result.parts.filter(pl.col("contact_id") == f.contact_id)
        got = [
            (r["rule_id"], r["kind"], r["points"], r["occurrences"], r["capped"])
            for r in parts.iter_rows(named=True)
        ]
        want = [(p.rule_id, p.kind, p.points, p.occurrences, p.capped) for p in pure.parts]
        assert got == want


@settings(max_examples=25 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), st.lists(st.tuples(contact_fields(), activities(0)), min_size=1, max_size=4))
def test_backtest_grid_equals_pure_engine_at_every_date(
    model: ScoringModel, people: list[tuple[dict[str, Any], list[ActivityFact]]]
) -> None:
    """The grid (match once, cross with dates, prefilter by the best possible score) gives the
    engine's fit, engagement and total at each date, and leaves out only contacts that can
    never meet the MQL rule."""
    from tandem.scoring.backtest import score_grid

    facts = [ContactFacts(i, fields) for i, (fields, _) in enumerate(people)]
    histories = [[replace(a, contact_id=i) for a in acts] for i, (_, acts) in enumerate(people)]
    contacts, acts_df = _tables(facts, [a for h in histories for a in h])
    dates = [AS_OF - timedelta(days=d) for d in (60, 20, 3, 0)] + [AS_OF + timedelta(days=1)]
    grid = score_grid(model, contacts, acts_df, dates, floor=model.mql)
    for f, history in zip(facts, histories, strict=True):
        rows = grid.filter(pl.col("contact_id") == f.contact_id).sort("k")
        pure = [score_contact(model, f, history, as_of=d) for d in dates]
        if rows.height == 0:
            assert not any(p.is_mql for p in pure)
            continue
        got = [
            (r["fit_cents"], r["engagement_cents"], r["total_cents"])
            for r in rows.iter_rows(named=True)
        ]
        want = [(int(p.fit * 100), int(p.engagement * 100), int(p.total * 100)) for p in pure]
        assert got == want
