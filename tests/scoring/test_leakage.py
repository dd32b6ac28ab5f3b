"""The leakage tests, each on a planted leak it must catch and an honest column it must leave:
a category value that determines the outcome, a column far above the fields known before
first contact, a field changed after the outcome (pure, and on the workspace's audit log)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.db import utcnow
from tandem.ingest.merge import merge_contacts
from tandem.scoring.leakage import (
    Context,
    FieldChanges,
    Finding,
    NotRun,
    changed_after_outcome,
    value_determines,
)
from tandem.scoring.predictive_store import train_workspace
from tandem.scoring.scorecard import prepare
from tandem.scoring.tabular import train_table
from tests import factories as f

from .scoring_support import SCALE


def _honest(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """level (vp converts 45%, others 10%) and visits, with the outcome drawn from them."""
    rng = np.random.default_rng(seed)
    level = rng.choice(["vp", "manager", "intern"], n)
    visits = rng.poisson(3, n)
    p = np.where(level == "vp", 0.45, 0.1) * np.minimum(1, 0.4 + visits / 10)
    won = rng.random(n) < p
    return pl.DataFrame({"level": level, "visits": visits}), won


def _tests(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(x.column, x.test) for x in findings]


def test_a_category_value_that_determines_the_outcome_is_flagged_and_left_out():
    frame, won = _honest(3000, 1)
    rng = np.random.default_rng(2)
    # Sales set "signed" on 8% of the rows, all of them won, once the deal closed; the other
    # values are noise. Alone it predicts little, so the old test (beats the rest) missed it.
    winners = np.flatnonzero(won)
    signed = rng.choice(winners, int(0.08 * len(won)), replace=False)
    note = rng.choice(["call back", "sent deck", "no answer"], len(won)).astype(object)
    note[signed] = "signed"
    table = frame.with_columns(pl.Series("note", note.tolist()), pl.Series("won", won))
    report = train_table(table, "won", folds=3)
    assert _tests(report.leakage) == [("note", "value_determines")]
    evidence = report.leakage[0].evidence
    assert evidence["value"] == "note = signed" and evidence["outcome"] == "positive"
    assert evidence["share_of_rows"] == pytest.approx(0.08, abs=0.001)
    assert evidence["outcome_share"] == 1.0
    assert report.left_out == ["note"] and "note" not in report.features
    assert report.auc_with_flagged is not None and report.auc_with_flagged > report.auc + 0.05
    kept = train_table(table, "won", folds=3, keep=["note"])
    assert kept.left_out == [] and kept.kept == ["note"] and "note" in kept.features
    assert kept.auc == pytest.approx(report.auc_with_flagged)


def test_a_pure_value_at_a_low_base_rate_is_not_a_leak():
    # At a 3% base rate a value with no conversion is ordinary: only a value far purer than
    # the table counts (the table is at most 90% of the value's outcome).
    rng = np.random.default_rng(3)
    n = 4000
    segment = rng.choice(["a", "b", "student"], n, p=[0.45, 0.45, 0.1])
    won = (rng.random(n) < 0.034) & (segment != "student")
    y = won.astype(int)
    column = prepare(pl.DataFrame({"segment": segment}))["segment"]
    assert value_determines("segment", column, y) is None
    # The same value in a table converting 30%: now it determines the outcome.
    won = (rng.random(n) < 0.33) & (segment != "student")
    found = value_determines("segment", column, won.astype(int))
    assert found is not None and found.evidence["value"] == "segment = student"
    assert found.evidence["outcome"] == "negative"


@settings(max_examples=30 * SCALE, deadline=None)
@given(
    st.integers(300, 3000),
    st.floats(0.15, 0.8),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["positive", "negative"]),
)
def test_a_planted_pure_value_is_always_found_and_noise_never(
    n: int, rate: float, seed: int, outcome: str
):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rate).astype(int)
    noise = rng.choice(["a", "b", "c"], n).astype(object)
    assert value_determines("x", prepare(pl.DataFrame({"x": noise.tolist()}))["x"], y) is None
    # Plant "leak" on 6% of the rows (at least 50), all of one outcome.
    pool = np.flatnonzero(y == (1 if outcome == "positive" else 0))
    size = max(50, int(np.ceil(0.06 * n)))
    if len(pool) < size:
        return
    noise[rng.choice(pool, size, replace=False)] = "leak"
    found = value_determines("x", prepare(pl.DataFrame({"x": noise.tolist()}))["x"], y)
    assert found is not None
    # Taking most of one outcome can leave another value pure the other way: both are named.
    leak = {"value": "x = leak", "rows": size, "outcome": outcome, "outcome_share": 1.0}
    assert leak in found.evidence["values"]


def test_a_number_bin_that_determines_the_outcome_is_flagged():
    frame, won = _honest(3000, 4)
    rng = np.random.default_rng(5)
    # A call's duration: short calls never convert, whatever else is true.
    seconds = np.where(won, rng.integers(120, 900, len(won)), rng.integers(5, 600, len(won)))
    found = value_determines(
        "seconds", prepare(pl.DataFrame({"seconds": seconds}))["seconds"], won.astype(int)
    )
    assert found is not None and found.evidence["outcome"] == "negative"
    assert found.evidence["value"].startswith("seconds < ")
    assert found.evidence["outcome_share"] >= 0.98


def _need_column(won: np.ndarray, seed: int) -> list[str]:
    # BANT "need": strongly tied to the outcome (typed in by sales), never pure.
    rng = np.random.default_rng(seed)
    p_high = np.where(won, 0.6, 0.1)
    return np.where(rng.random(len(won)) < p_high, "high", "low").tolist()


def test_a_column_far_above_the_pre_contact_fields_is_flagged():
    rng = np.random.default_rng(6)
    n = 3000
    industry = rng.choice(["software", "retail", "health"], n)
    visits = rng.poisson(3, n)
    # Visits (counted as of the scoring moment) carry most of the signal; industry a little.
    logit = -5 + 1.2 * visits + 0.4 * (industry == "software")
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    table = pl.DataFrame(
        {"industry": industry, "visits": visits, "need": _need_column(won, 7), "won": won}
    )
    context = Context(pre_contact=("industry",), dated=("visits",))
    report = train_table(table, "won", folds=3, context=context)
    assert _tests(report.leakage) == [("need", "far_above_pre_contact")]
    evidence = report.leakage[0].evidence
    assert evidence["best_pre_contact_column"] == "industry"
    assert evidence["margin"] >= 0.15 and evidence["auc_alone"] > 0.7
    assert report.left_out == ["need"]
    # Without columns known before first contact the test cannot run, and says so.
    blind = train_table(table, "won", folds=3, context=Context(dated=("visits",)))
    assert blind.leakage == []
    assert NotRun("far_above_pre_contact", None, blind.leakage_not_run[0].reason) in (
        blind.leakage_not_run
    )


def _moments(days: list[int | None]) -> pl.Series:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    return pl.Series(
        [None if d is None else base + timedelta(days=d) for d in days],
        dtype=pl.Datetime("us", "UTC"),
    )


def test_a_field_changed_after_the_outcome_is_flagged_with_its_dates():
    outcome = _moments([10] * 40 + [None] * 60)  # 40 rows reached it on day 10
    changed = _moments([40] * 6 + [None] * 94)  # 6 of them changed on day 40
    history = FieldChanges("the audit log", changed, _moments([None] * 100))
    found = changed_after_outcome("contact.budget", history, outcome)
    assert isinstance(found, Finding)
    assert found.evidence["changed_after"] == 6 and found.evidence["positives"] == 40
    assert found.evidence["first_change"] == "2025-02-10"
    assert found.evidence["median_days_after_outcome"] == 30


def test_the_change_test_passes_or_says_it_could_not_run():
    outcome = _moments([10] * 40 + [None] * 60)
    # Every row last changed before its outcome: no field of it changed after.
    before = FieldChanges("contacts.updated_at", _moments([None] * 100), _moments([5] * 100))
    assert changed_after_outcome("contact.title", before, outcome) is None
    # Rows changed after their outcome, and nothing says which field: not settled.
    after = FieldChanges("contacts.updated_at", _moments([None] * 100), _moments([20] * 100))
    result = changed_after_outcome("contact.title", after, outcome)
    assert isinstance(result, NotRun) and result.reason.startswith("40 of 40 rows")


def test_workspace_flags_a_field_merged_in_after_the_outcome(db, marketer):
    """A duplicate carrying a budget, created by sales after the deal and merged into the lead:
    the lead's budget arrived after the outcome. The audit log dates it."""
    now = utcnow()
    day = timedelta(days=1)
    account = f.account(db)
    rng = np.random.default_rng(8)
    winners = []
    for i in range(120):
        person = f.contact(db, job_level="vp" if i % 2 else "manager", created_at=now - 200 * day)
        if rng.random() < (0.6 if i % 2 else 0.2):
            f.opportunity(
                db, account, primary_contact_id=person.id, is_won=True, amount=Decimal("100"),
                created_at=now - 30 * day, closed_at=now - 20 * day,
            )  # fmt: skip
            winners.append(person)
    for person in winners[:15]:
        twin = f.contact(db, budget=Decimal("50000"), created_at=now - 5 * day)
        merge_contacts(db_session=db, keep=str(person.id), other=str(twin.id), actor_user_id=None)
        db.expunge(twin)  # deleted by the merge's SQL; SQLite may hand its id to the next row
    _, report, _ = train_workspace(
        db_session=db, user=marketer, outcome="won", as_of=now - 90 * day, now=now, min_outcomes=10
    )
    budget = [x for x in report.leakage if x.column == "contact.budget"]
    assert [x.test for x in budget] == ["changed_after_outcome"]
    assert budget[0].evidence["changed_after"] == 15
    assert budget[0].evidence["positives"] == len(winners)
    assert budget[0].evidence["median_days_after_outcome"] == pytest.approx(20, abs=1)
    assert "contact.budget" in report.left_out and "contact.budget" not in report.features
    # The other fields have only contacts.updated_at (now, after every outcome): not settled.
    title = [n for n in report.leakage_not_run if n.column == "contact.title"]
    assert title and title[0].test == "changed_after_outcome"
    # Activity features are computed as of the cut-off: never tested.
    assert not any(n.column == "tenure_days" for n in report.leakage_not_run)
    kept = train_workspace(
        db_session=db, user=marketer, outcome="won", as_of=now - 90 * day, now=now,
        min_outcomes=10, keep=["contact.budget"],
    )[1]  # fmt: skip
    assert kept.kept == ["contact.budget"] and "contact.budget" in kept.features
