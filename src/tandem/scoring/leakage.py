"""Leakage tests for the predictive trainer: columns that give the outcome away. Pure.

A column leaks when it is filled in, or changed, after the outcome it is meant to predict (a
call's duration, a status sales sets when the deal closes, BANT answers typed in after the
win). Such a column flatters the cross-validated AUC and is useless when a new lead is scored.
Five tests, each naming its evidence:

* `perfect`: the column alone predicts almost perfectly (single-column AUC >= 0.95).
* `beats_rest`: one of the two strongest columns alone (AUC >= 0.7) predicts better than all the
  other columns together. Columns known before first contact are spared this one: such a
  column beating the rest is just the best predictor (a VP's title where little else is known).
* `value_determines`: one of its values (a text value, or a decile bin of a number, or being
  missing) covers at least 5% of the rows and at least 50 rows, and at least 98% of those rows
  have one outcome, while the table as a whole has at most 90% of that outcome. (At a 3% base
  rate every value is "98% lost"; only a value far purer than the table counts. With 50 rows at
  a 10% base rate, 49 or 50 of one outcome by chance has odds under 2%.)
* `far_above_pre_contact`: its single-column AUC is at least 0.15 above the best column known
  before first contact (firmographic and fit fields: who the lead is, not what it did or told
  sales). Needs such columns: on a CSV they are named by the caller, on the workspace they are
  `features.PRE_CONTACT_FIELDS`; without any the test cannot run and says so.
* `changed_after_outcome` (workspace only): the field was last changed after the row's outcome
  in at least 5% of the rows that reached it (and at least 5 rows). Evidence comes from the
  store's change history, per row: a dated change of this very field, or the row's `updated_at`
  (which bounds every field's last change, but does not say which field changed). When that
  history cannot settle it either way the test says it could not run for the field.

Columns computed as of the scoring moment from dated events (activity counts and recencies,
tenure) cannot be filled in after the outcome by construction; the caller names them `dated`
and the content tests leave them alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy.stats import rankdata
from sklearn.model_selection import StratifiedKFold

from tandem.scoring.scorecard import _MISSING_KEY, Kind, Prepared, fit_values

PERFECT_AUC = 0.95
REST_AUC = 0.7  # `beats_rest` looks at columns at least this strong alone
VALUE_SHARE, VALUE_MIN_ROWS = 0.05, 50
VALUE_PURITY, TABLE_PURITY = 0.98, 0.90
AUC_MARGIN = 0.15
CHANGED_SHARE, CHANGED_MIN_ROWS = 0.05, 5

Test = Literal[
    "perfect", "beats_rest", "value_determines", "far_above_pre_contact", "changed_after_outcome"
]


@dataclass(frozen=True)
class Finding:
    """One test that fired for one column, with its evidence (numbers and dates)."""

    column: str
    test: Test
    evidence: dict[str, Any]
    message: str


@dataclass(frozen=True)
class NotRun:
    """A test that could not run (for one column, or for all when `column` is None), and why."""

    test: Test
    column: str | None
    reason: str


@dataclass(frozen=True)
class FieldChanges:
    """What the store knows of when one field last changed, one value per training row (null:
    unknown). `changed_at`: the latest dated change of this field; `row_updated_at`: when the
    row holding it last changed at all, a bound on the field's last change."""

    source: str
    changed_at: pl.Series
    row_updated_at: pl.Series


@dataclass(frozen=True)
class Context:
    """What the caller knows about the columns beyond their values.

    pre_contact: columns known before first contact (the reference for `far_above_pre_contact`).
    dated: columns computed as of the scoring moment from dated events (not content-tested).
    outcome_at / changes: on the workspace, when each row reached the outcome (null for rows
    that did not) and each field's change history; None on a CSV (the test does not apply).
    """

    pre_contact: tuple[str, ...] = ()
    dated: tuple[str, ...] = ()
    outcome_at: pl.Series | None = None
    changes: dict[str, FieldChanges] | None = None


@dataclass
class Examination:
    """Every finding, every test that could not run, and each column's AUC alone."""

    findings: list[Finding] = field(default_factory=list)
    not_run: list[NotRun] = field(default_factory=list)
    auc_alone: dict[str, float] = field(default_factory=dict)

    def flagged(self) -> list[str]:
        """The columns at least one test fired for, in the order first found."""
        return list(dict.fromkeys(f.column for f in self.findings))


def auc_of(y: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC by the rank-sum formula, ties shared (the same number as scikit-learn's, without
    its input validation, which costs more than the sum when called per column and fold)."""
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return 0.5
    ranks = rankdata(scores)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def auc_alone(
    name: str, column: tuple[Kind, np.ndarray], y: np.ndarray, *, folds: int = 3, seed: int = 0
) -> float:
    """Cross-validated AUC of one column on its own: each row scored by its bin's outcome rate
    in the other folds (what a one-column scorecard learns, without fitting one)."""
    kind, values = column
    scores = np.zeros(len(y))
    prior = float(y.mean())
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
        np.zeros(len(y)), y
    ):
        code = fit_values(name, kind, values[train_idx])
        bins = code.codes_of(values)
        hits = np.bincount(bins[train_idx], weights=y[train_idx], minlength=code.width())
        seen = np.bincount(bins[train_idx], minlength=code.width())
        rate = (hits + 10 * prior) / (seen + 10)  # a bin seen a few times leans to the base rate
        scores[test_idx] = rate[bins[test_idx]]
    binned = float(auc_of(y, scores))
    missing = np.isnan(values) if kind == "numeric" else values == _MISSING_KEY
    if 0 < missing.sum() < len(values):
        # A column filled in only for one outcome (a won date, the rep who closed the deal)
        # gives itself away by being filled in at all, whatever its values.
        filled = float(auc_of(y, ~missing))
        return max(binned, filled, 1 - filled)
    return binned


def value_determines(name: str, column: tuple[Kind, np.ndarray], y: np.ndarray) -> Finding | None:
    """The `value_determines` test: the largest value (or number bin) whose rows are almost
    all one outcome, when the table is not."""
    kind, values = column
    code = fit_values(name, kind, values)
    bins = code.codes_of(values)
    rows = np.bincount(bins, minlength=code.width())
    hits = np.bincount(bins, weights=y, minlength=code.width())
    n, base = len(y), float(y.mean())
    floor = max(VALUE_SHARE * n, VALUE_MIN_ROWS)
    labels = code.labels()
    pure = []
    for b in np.flatnonzero(rows >= floor):
        rate = hits[b] / rows[b]
        for outcome, share, table in (("positive", rate, base), ("negative", 1 - rate, 1 - base)):
            if share >= VALUE_PURITY and table <= TABLE_PURITY:
                pure.append((int(rows[b]), labels[b], outcome, float(share), table))
    if not pure:
        return None
    count, label, outcome, share, table = max(pure)
    covered = sum(p[0] for p in pure) / n
    evidence = {
        "value": label,
        "rows": count,
        "share_of_rows": count / n,
        "outcome": outcome,
        "outcome_share": share,
        "table_outcome_share": table,
        "share_of_rows_determined": covered,
        "values": [
            {"value": v, "rows": r, "outcome": o, "outcome_share": sh} for r, v, o, sh, _ in pure
        ],
    }
    message = (
        f"{label} covers {count / n:.1%} of rows ({count:,}), {share:.1%} of them {outcome} "
        f"(the whole table: {table:.1%})"
    )
    if len(pure) > 1:
        message += f"; {len(pure)} such values cover {covered:.1%} of rows"
    return Finding(name, "value_determines", evidence, message)


def far_above_pre_contact(
    alone: dict[str, float], pre_contact: Sequence[str], tested: Sequence[str]
) -> tuple[list[Finding], list[NotRun]]:
    """The `far_above_pre_contact` test over `tested` columns (pre-contact ones excluded)."""
    if not pre_contact:
        reason = "no column is known before first contact to compare with"
        return [], [NotRun("far_above_pre_contact", None, reason)]
    best = max(pre_contact, key=lambda c: alone[c])
    out = []
    for column in tested:
        if column in pre_contact or alone[column] < alone[best] + AUC_MARGIN:
            continue
        evidence = {
            "auc_alone": alone[column],
            "best_pre_contact_column": best,
            "best_pre_contact_auc": alone[best],
            "margin": alone[column] - alone[best],
        }
        message = (
            f"alone AUC {alone[column]:.3f}, {alone[column] - alone[best]:+.3f} above the best "
            f"column known before first contact ('{best}', {alone[best]:.3f}; the test fires at "
            f"+{AUC_MARGIN:g})"
        )
        out.append(Finding(column, "far_above_pre_contact", evidence, message))
    return out, []


def _day(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%d")


def changed_after_outcome(
    name: str, changes: FieldChanges, outcome_at: pl.Series
) -> Finding | NotRun | None:
    """The `changed_after_outcome` test for one field: a Finding when it fired, NotRun when the
    change history cannot settle it, None when it passed."""
    frame = pl.DataFrame(
        {"outcome": outcome_at, "changed": changes.changed_at, "row": changes.row_updated_at}
    ).filter(pl.col("outcome").is_not_null())
    positives = frame.height
    after = frame.filter(pl.col("changed") > pl.col("outcome"))
    settled = (pl.col("changed") > pl.col("outcome")) | (pl.col("row") <= pl.col("outcome"))
    unknown = frame.filter(~settled.fill_null(False)).height
    need = max(CHANGED_SHARE * positives, CHANGED_MIN_ROWS)
    if after.height >= need:
        lag = (after["changed"] - after["outcome"]).dt.total_days()
        evidence = {
            "positives": positives,
            "changed_after": after.height,
            "share": after.height / positives,
            "first_change": _day(after["changed"].min()),  # type: ignore[arg-type]
            "last_change": _day(after["changed"].max()),  # type: ignore[arg-type]
            "median_days_after_outcome": float(lag.median() or 0.0),
            "source": changes.source,
        }
        message = (
            f"changed after the outcome in {after.height:,} of {positives:,} rows that reached "
            f"it ({after.height / positives:.1%}), between {evidence['first_change']} and "
            f"{evidence['last_change']}, a median {evidence['median_days_after_outcome']:.0f} "
            f"days after it (from {changes.source})"
        )
        return Finding(name, "changed_after_outcome", evidence, message)
    if after.height + unknown >= need:
        return NotRun(
            "changed_after_outcome",
            name,
            f"{unknown:,} of {positives:,} rows that reached the outcome have no dated change "
            f"of this field and {changes.source} moved after their outcome without saying which "
            "field changed",
        )
    return None


def examine(
    table: Prepared,
    y: np.ndarray,
    context: Context,
    *,
    rest_auc: Callable[[str], float],
    seed: int = 0,
) -> Examination:
    """Run every test on every column it applies to. `rest_auc(column)` is the cross-validated
    AUC of all the other columns together (the caller's model, for `beats_rest`)."""
    tested = [c for c in table if c not in context.dated]
    out = Examination(auc_alone={c: auc_alone(c, table[c], y, seed=seed) for c in table})
    alone = out.auc_alone
    for column in tested:
        if alone[column] >= PERFECT_AUC:
            evidence = {"auc_alone": alone[column]}
            message = f"alone predicts almost perfectly (AUC {alone[column]:.3f})"
            out.findings.append(Finding(column, "perfect", evidence, message))
    strongest = sorted(tested, key=lambda c: alone[c], reverse=True)[:2]
    strongest = [c for c in strongest if c not in context.pre_contact]
    for column in strongest:
        if REST_AUC <= alone[column] < PERFECT_AUC and len(table) >= 3:
            without = rest_auc(column)
            if alone[column] > without:
                evidence = {"auc_alone": alone[column], "auc_rest": without}
                message = (
                    f"alone (AUC {alone[column]:.3f}) predicts better than all {len(table) - 1} "
                    f"other columns together (AUC {without:.3f})"
                )
                out.findings.append(Finding(column, "beats_rest", evidence, message))
    for column in tested:
        found = value_determines(column, table[column], y)
        if found is not None:
            out.findings.append(found)
    pre_contact = [c for c in context.pre_contact if c in table]
    found_far, not_run = far_above_pre_contact(alone, pre_contact, tested)
    out.findings += found_far
    out.not_run += not_run
    if context.changes is None or context.outcome_at is None:
        out.not_run.append(
            NotRun("changed_after_outcome", None, "no change history: trained on a file")
        )
        return out
    for column in tested:
        if column not in context.changes:
            reason = "the store keeps no change history for this column"
            out.not_run.append(NotRun("changed_after_outcome", column, reason))
            continue
        result = changed_after_outcome(column, context.changes[column], context.outcome_at)
        if isinstance(result, Finding):
            out.findings.append(result)
        elif isinstance(result, NotRun):
            out.not_run.append(result)
    return out
