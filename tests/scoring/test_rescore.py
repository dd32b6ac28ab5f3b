"""Bulk rescore: input kinds, missing columns, and agreement with the pure engine."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from tandem.scoring.engine import score_contact
from tandem.scoring.facts import ActivityFact, ContactFacts
from tandem.scoring.model import ScoringModel
from tandem.scoring.rescore import parts_json, rescore

from .scoring_support import AS_OF, make_model

FIELDS = {
    "contact.job_level": ["vp", "manager", None],
    "contact.budget": ["approved", None, "none"],
    "contact.email_domain": ["acme.com", "rivalcrm.com", "gmail.com"],
    "account.employees": [500, 5000, 10],
    "account.is_target": [True, False, None],
}


def tables() -> tuple[pl.DataFrame, pl.DataFrame]:
    contacts = pl.DataFrame({"contact_id": [1, 2, 3], **FIELDS})
    activities = pl.DataFrame(
        {
            "contact_id": [1, 1, 1, 2, 2, 99],
            "activity_type": [
                "demo_request",
                "page_view",
                "page_view",
                "page_view",
                "email_unsubscribe",
                "demo_request",
            ],
            "occurred_at": [AS_OF - timedelta(days=d) for d in (3, 1, 1, 2, 5, 1)],
            "url": [
                None,
                "https://x.io/pricing",
                "https://x.io/pricing",
                "https://x.io/careers",
                None,
                None,
            ],
        }
    )
    return contacts, activities


def pure_scores(model: ScoringModel) -> dict[int, tuple[Decimal, Decimal, str, bool]]:
    contacts, activities = tables()
    out = {}
    for row in contacts.iter_rows(named=True):
        cid = row.pop("contact_id")
        acts = [
            ActivityFact(a["contact_id"], a["activity_type"], a["occurred_at"], url=a["url"])
            for a in activities.iter_rows(named=True)
            if a["contact_id"] == cid
        ]
        r = score_contact(model, ContactFacts(cid, row), acts, as_of=AS_OF)
        out[cid] = (r.fit, r.engagement, r.grade, r.is_mql)
    return out


def as_tuples(scores: pl.DataFrame) -> dict[int, tuple[Decimal, Decimal, str, bool]]:
    return {
        r["contact_id"]: (r["fit"], r["engagement"], r["grade"], r["is_mql"])
        for r in scores.iter_rows(named=True)
    }


def test_default_model_agrees_with_engine(default_model: ScoringModel) -> None:
    contacts, activities = tables()
    result = rescore(default_model, contacts, activities, as_of=AS_OF)
    assert as_tuples(result.scores) == pure_scores(default_model)
    assert result.scores["contact_id"].to_list() == [1, 2, 3]  # activities of 99 are dropped
    totals = result.parts.group_by("contact_id").agg(pl.col("points").sum()).sort("contact_id")
    assert totals["points"].to_list() == result.scores["total"].to_list()[: totals.height]


def test_arrow_parquet_and_categorical_inputs(default_model: ScoringModel, tmp_path: Path) -> None:
    contacts, activities = tables()
    contacts_path = tmp_path / "contacts.parquet"
    contacts.with_columns(pl.col("contact.job_level").cast(pl.Categorical)).write_parquet(
        contacts_path
    )
    expected = rescore(default_model, contacts, activities, as_of=AS_OF).scores
    from_arrow = rescore(default_model, contacts_path, activities.to_arrow(), as_of=AS_OF)
    assert from_arrow.scores.equals(expected)
    streamed = rescore(default_model, contacts, activities.lazy(), as_of=AS_OF, streaming=True)
    assert streamed.scores.equals(expected)


def test_missing_columns_never_match() -> None:
    model = make_model(
        fit_rules=[
            {"id": "f", "field": "account.industry", "op": "equals", "value": "x", "points": 5},
            {"id": "g", "field": "account.industry", "op": "exists", "present": False, "points": 1},
        ],
        behaviour_rules=[
            {
                "id": "b",
                "activity_type": "page_view",
                "points": 2,
                "filters": {"channel": ["email"]},
            },
            {"id": "c", "activity_type": "page_view", "points": 3},
        ],
    )
    contacts, activities = tables()
    result = rescore(model, contacts, activities, as_of=AS_OF)
    assert result.scores["total"].to_list() == [Decimal("7.00"), Decimal("4.00"), Decimal("1.00")]


def test_empty_model_scores_zero() -> None:
    contacts, activities = tables()
    result = rescore(make_model(), contacts, activities, as_of=AS_OF)
    assert result.parts.height == 0
    assert set(result.scores["total"].to_list()) == {Decimal("0.00")}
    assert set(result.scores["grade"].to_list()) == {"D"}


_RULE_IDS = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)
_PART = st.tuples(
    st.integers(1, 50),  # contact id
    _RULE_IDS,
    st.sampled_from(["fit", "behaviour"]),
    st.integers(-(10**9), 10**9),  # cents
    st.integers(0, 10**6),  # occurrences
    st.booleans(),
)


@given(st.lists(_PART, max_size=60))
def test_parts_json_is_each_contacts_parts_in_order(rows: list[tuple]) -> None:
    """The stored explanation parses to exactly the parts, per contact, in their order."""
    rows = sorted(rows, key=lambda r: r[0])  # the rescore hands them over by contact
    parts = pl.DataFrame(
        rows,
        schema={"contact_id": pl.Int64, "rule_id": pl.String, "kind": pl.String,
                "cents": pl.Int64, "occurrences": pl.Int64, "capped": pl.Boolean},
        orient="row",
    ).select(
        "contact_id", "rule_id", "kind",
        (pl.col("cents").cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2)).alias("points"),
        "occurrences", "capped",
    )  # fmt: skip
    out = parts_json(parts)
    expected: dict[int, list[dict]] = {}
    for cid, rule, kind, cents, occurrences, capped in rows:
        expected.setdefault(cid, []).append({
            "rule_id": rule, "kind": kind, "points": float(Decimal(cents) / 100),
            "occurrences": occurrences, "capped": capped,
        })  # fmt: skip
    assert out["contact_id"].to_list() == list(expected)
    assert [json.loads(text) for text in out["parts"]] == list(expected.values())
