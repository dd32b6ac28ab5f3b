"""The predictive trainer for any table with an outcome column: a workspace's own history or a
plain CSV export. Pure: a Polars frame in, a report and a JSON-storable model out.

The model is a scorecard (`scorecard.py`): binned, one-hot columns weighed by an L2-regularised
logistic regression. That keeps each lead's explanation exact and readable ("poutcome =
success: +1.9") and the model storable as numbers. Probabilities are calibrated by isotonic
regression on out-of-fold scores.

Every figure the report gives is out-of-fold (each row scored by a model that never saw it):
cross-validated AUC, conversion per score decile, calibration. Leakage check: a column that
alone predicts the outcome almost perfectly (AUC >= 0.95), or alone better than all the other
columns together, is named; such a column is usually filled in after the outcome (a status
sales sets after the call, a call's duration) and must be excluded for an honest model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse
from scipy.stats import rankdata
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold

from tandem.scoring.errors import MIN_OUTCOMES, NotEnoughOutcomes
from tandem.scoring.scorecard import (
    _MISSING_KEY,
    Encoder,
    Kind,
    Prepared,
    TabularModel,
    fit_values,
    prepare,
)

PERFECT_AUC = 0.95
_POSITIVE = {"1", "true", "yes", "y", "t", "won", "converted"}


def auc_of(y: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC by the rank-sum formula, ties shared (the same number as scikit-learn's, without
    its input validation, which costs more than the sum when called per column and fold)."""
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return 0.5
    ranks = rankdata(scores)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _fit(x: sparse.csr_matrix, y: np.ndarray, seed: int) -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(x, y)


def cv_logits(
    table: Prepared, y: np.ndarray, folds: int, seed: int
) -> tuple[np.ndarray, list[float]]:
    """Out-of-fold log-odds (bins learnt inside each fold) and each fold's AUC."""
    out = np.zeros(len(y))
    aucs = []
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
        np.zeros(len(y)), y
    ):
        enc = Encoder.fit_prepared(table, train_idx)
        model = _fit(enc.one_hot(enc.codes_prepared(table, train_idx)), y[train_idx], seed)
        out[test_idx] = model.decision_function(enc.one_hot(enc.codes_prepared(table, test_idx)))
        aucs.append(float(auc_of(y[test_idx], out[test_idx])))
    return out, aucs


@dataclass(frozen=True)
class LeakageWarning:
    """A column that predicts too well to be known at scoring time."""

    column: str
    auc_alone: float
    auc_without: float | None
    message: str


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


def leakage(
    table: Prepared, y: np.ndarray, *, seed: int, full_auc: float
) -> tuple[list[LeakageWarning], dict[str, float]]:
    """Name columns that alone predict almost perfectly, or better than all others together."""
    alone = {c: auc_alone(c, column, y, seed=seed) for c, column in table.items()}
    warnings = []
    ranked = sorted(alone, key=lambda c: alone[c], reverse=True)
    for column in ranked:
        auc = alone[column]
        if auc >= PERFECT_AUC:
            msg = (
                f"'{column}' alone predicts the outcome almost perfectly (AUC {auc:.3f}): is it "
                "filled in after the outcome? Exclude it for an honest model"
            )
            warnings.append(LeakageWarning(column, auc, None, msg))
        elif column in ranked[:2] and auc >= 0.7 and len(table) >= 3:
            rest = {c: v for c, v in table.items() if c != column}
            without = float(auc_of(y, cv_logits(rest, y, 3, seed)[0]))
            if auc > without:
                msg = (
                    f"'{column}' alone (AUC {auc:.3f}) predicts better than all {len(rest)} "
                    f"other columns together (AUC {without:.3f}, full model {full_auc:.3f}): "
                    "check it is known when a lead is scored (a call's duration, say, is only "
                    "known after the call)"
                )
                warnings.append(LeakageWarning(column, auc, without, msg))
    return warnings, alone


def _isotonic(logits: np.ndarray, y: np.ndarray) -> IsotonicRegression:
    return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(logits, y)


def cross_fitted(logits: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Calibrated out-of-fold probabilities: isotonic maps fitted on one half, applied to the
    other, so the calibration report is not graded on its own homework."""
    half = np.random.default_rng(seed).random(len(y)) < 0.5
    out = np.zeros(len(y))
    for fit_on in (half, ~half):
        out[~fit_on] = _isotonic(logits[fit_on], y[fit_on]).predict(logits[~fit_on])
    return out


def deciles(p: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    """Conversion per score decile (1 = the top 10%), with lift and mean predicted."""
    order = np.argsort(-p, kind="stable")
    base = float(y.mean()) if len(y) else 0.0
    rows = []
    for i, idx in enumerate(np.array_split(order, 10), start=1):
        if idx.size == 0:
            continue
        rate = float(y[idx].mean())
        rows.append(
            {
                "decile": i,
                "rows": int(idx.size),
                "positives": int(y[idx].sum()),
                "conversion": rate,
                "lift": rate / base if base else 0.0,
                "mean_predicted": float(p[idx].mean()),
            }
        )
    return rows


@dataclass
class TrainReport:
    """Everything `tandem scoring train` prints, and the model."""

    rows: int
    positives: int
    base_rate: float
    features: list[str]
    excluded: list[str]
    auc: float
    auc_folds: list[float]
    deciles: list[dict[str, Any]]
    brier: float
    brier_base: float
    calibration_error: float
    top_features: list[dict[str, Any]]
    leakage: list[LeakageWarning]
    auc_alone: dict[str, float]
    model: TabularModel
    scores: np.ndarray  # calibrated out-of-fold probability per input row

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the per-row scores)."""
        data = {k: v for k, v in asdict(self).items() if k not in ("model", "scores")}
        data["top_decile_conversion"] = self.deciles[0]["conversion"] if self.deciles else 0.0
        return data


def target_labels(series: pl.Series, positive: str | None = None) -> np.ndarray:
    """0/1 outcome from yes/no, true/false, 1/0 (or `positive` naming the positive value)."""
    if series.null_count():
        raise ValueError(
            f"the target column '{series.name}' has {series.null_count()} empty values"
        )
    text = series.cast(pl.String).str.strip_chars().str.to_lowercase()
    if positive is not None:
        return (text == positive.lower()).to_numpy().astype(int)
    return text.is_in(sorted(_POSITIVE)).to_numpy().astype(int)


def _importance(model: TabularModel, codes: np.ndarray, labels: list[str]) -> list[dict[str, Any]]:
    coef = np.asarray(model.coef)
    contributions = coef[codes]
    seen = np.bincount(codes.ravel(), minlength=len(coef)) > 0
    rows = []
    for j, column in enumerate(model.columns):
        start = sum(c.width() for c in model.columns[:j])
        span = np.where(
            seen[start : start + column.width()], coef[start : start + column.width()], np.nan
        )
        best, worst = int(np.nanargmax(span)), int(np.nanargmin(span))
        rows.append(
            {
                "column": column.name,
                "importance": float(contributions[:, j].std()),
                "strongest_up": f"{labels[start + best]} ({span[best]:+.2f})",
                "strongest_down": f"{labels[start + worst]} ({span[worst]:+.2f})",
            }
        )
    return sorted(rows, key=lambda r: -r["importance"])


def train_table(
    frame: pl.DataFrame,
    target: str,
    *,
    id_column: str | None = None,
    exclude: list[str] | tuple[str, ...] = (),
    positive: str | None = None,
    min_outcomes: int = MIN_OUTCOMES,
    folds: int = 5,
    seed: int = 0,
    check_leakage: bool = True,
) -> TrainReport:
    """Train and evaluate on `frame`; NotEnoughOutcomes when it would be noise."""
    missing = [c for c in (target, id_column, *exclude) if c is not None and c not in frame.columns]
    if missing:
        raise ValueError(f"no column(s) {', '.join(missing)} (columns: {', '.join(frame.columns)})")
    y = target_labels(frame[target], positive)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if min(positives, negatives) < min_outcomes:
        raise NotEnoughOutcomes(
            f"{positives} positive and {negatives} negative outcomes; training needs at least "
            f"{min_outcomes} of each, or the cross-validated figures would be noise"
        )
    drop = [target, *exclude, *([id_column] if id_column else [])]
    features = frame.drop(drop)
    if features.width == 0:
        raise ValueError("no feature columns left to train on")
    table = prepare(features)
    logits, aucs = cv_logits(table, y, folds, seed)
    auc = float(auc_of(y, logits))
    scores = cross_fitted(logits, y, seed)
    enc = Encoder.fit_prepared(table)
    codes = enc.codes_prepared(table)
    fitted = _fit(enc.one_hot(codes), y, seed)
    coef = fitted.coef_[0]
    iso = _isotonic(logits, y)
    model = TabularModel(
        columns=enc.columns,
        coef=[float(c) for c in coef],
        intercept=float(fitted.intercept_[0]),
        calibration_x=[float(v) for v in iso.X_thresholds_],
        calibration_y=[float(v) for v in iso.y_thresholds_],
        centers=[float(v) for v in coef[codes].mean(axis=0)],
    )
    warnings, alone = leakage(table, y, seed=seed, full_auc=auc) if check_leakage else ([], {})
    table = deciles(scores, y)
    base = float(y.mean())
    return TrainReport(
        rows=len(y),
        positives=positives,
        base_rate=base,
        features=features.columns,
        excluded=list(exclude),
        auc=auc,
        auc_folds=aucs,
        deciles=table,
        brier=float(brier_score_loss(y, scores)),
        brier_base=float(brier_score_loss(y, np.full(len(y), base))),
        calibration_error=float(
            sum(r["rows"] * abs(r["mean_predicted"] - r["conversion"]) for r in table) / len(y)
        ),
        top_features=_importance(model, codes, enc.labels())[:10],
        leakage=warnings,
        auc_alone=alone,
        model=model,
        scores=scores,
    )


def read_csv(path: str) -> pl.DataFrame:
    """A CSV export with its separator sniffed (`,`, `;` or tab) and dates parsed."""
    with open(path, encoding="utf-8-sig") as handle:
        header = handle.readline()
    separator = max((",", ";", "\t"), key=header.count)
    return pl.read_csv(path, separator=separator, try_parse_dates=True, infer_schema_length=10_000)
