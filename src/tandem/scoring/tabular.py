"""The predictive trainer for any table with an outcome column: a workspace's own history or a
plain CSV export. Pure: a Polars frame in, a report and a JSON-storable model out.

The model is a scorecard (`scorecard.py`): binned, one-hot columns weighed by an L2-regularised
logistic regression. That keeps each lead's explanation exact and readable ("poutcome =
success: +1.9") and the model storable as numbers. Probabilities are calibrated by isotonic
regression on out-of-fold scores.

Every figure the report gives is out-of-fold (each row scored by a model that never saw it):
cross-validated AUC, conversion per score decile, calibration. Before those figures the columns
go through the leakage tests (`leakage.py`); the columns they flag are left out of the model and
named, unless the caller keeps them, so the headline AUC is the honest one (the AUC with them
is reported beside it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold

from tandem.scoring.errors import MIN_OUTCOMES, NotEnoughOutcomes
from tandem.scoring.leakage import Context, Finding, NotRun, auc_of, examine
from tandem.scoring.scorecard import Encoder, Prepared, TabularModel, prepare

_POSITIVE = {"1", "true", "yes", "y", "t", "won", "converted"}


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
    leakage: list[Finding]  # every test that fired, for the columns left out and those kept
    leakage_not_run: list[NotRun]
    left_out: list[str]  # flagged columns left out of the model
    kept: list[str]  # flagged columns kept because the caller asked
    auc_with_flagged: float | None  # the AUC with the left-out columns in (None: none left out)
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


def _check_named(names: Sequence[str], columns: Sequence[str], what: str) -> None:
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise ValueError(
            f"no feature column {', '.join(repr(n) for n in unknown)} {what} "
            f"(feature columns: {', '.join(columns)})"
        )


def train_table(
    frame: pl.DataFrame,
    target: str,
    *,
    id_column: str | None = None,
    exclude: Sequence[str] = (),
    positive: str | None = None,
    min_outcomes: int = MIN_OUTCOMES,
    folds: int = 5,
    seed: int = 0,
    keep: Sequence[str] = (),
    context: Context = Context(),
) -> TrainReport:
    """Train and evaluate on `frame`; NotEnoughOutcomes when it would be noise.

    The leakage tests run on every feature column first (`context` says which are known before
    first contact, which are computed as of the scoring moment, and, on the workspace, when
    each field changed); flagged columns are left out unless `keep` names them. ValueError
    names the allowed columns when `exclude`, `keep` or `context.pre_contact` names another.
    """
    missing = [c for c in (target, id_column, *exclude) if c is not None and c not in frame.columns]
    if missing:
        raise ValueError(f"no column(s) {', '.join(missing)} (columns: {', '.join(frame.columns)})")
    drop = [target, *exclude, *([id_column] if id_column else [])]
    features = frame.drop(drop)
    if features.width == 0:
        raise ValueError("no feature columns left to train on")
    _check_named(keep, features.columns, "to keep")
    _check_named(context.pre_contact, features.columns, "known before first contact")
    y = target_labels(frame[target], positive)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if min(positives, negatives) < min_outcomes:
        raise NotEnoughOutcomes(
            f"{positives} positive and {negatives} negative outcomes; training needs at least "
            f"{min_outcomes} of each, or the cross-validated figures would be noise"
        )
    table = prepare(features)
    logits, aucs = cv_logits(table, y, folds, seed)
    found = examine(
        table,
        y,
        context,
        seed=seed,
        rest_auc=lambda column: float(
            auc_of(y, cv_logits({c: v for c, v in table.items() if c != column}, y, 3, seed)[0])
        ),
    )
    left_out = [c for c in found.flagged() if c not in keep]
    auc_with_flagged = None
    if left_out:
        auc_with_flagged = float(auc_of(y, logits))
        table = {c: v for c, v in table.items() if c not in left_out}
        if not table:
            raise ValueError(
                f"every feature column was flagged as leaking ({', '.join(left_out)}); "
                "keep the ones known when a lead is scored with --keep COLUMN"
            )
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
    rows = deciles(scores, y)
    base = float(y.mean())
    return TrainReport(
        rows=len(y),
        positives=positives,
        base_rate=base,
        features=list(table),
        excluded=list(exclude),
        auc=auc,
        auc_folds=aucs,
        deciles=rows,
        brier=float(brier_score_loss(y, scores)),
        brier_base=float(brier_score_loss(y, np.full(len(y), base))),
        calibration_error=float(
            sum(r["rows"] * abs(r["mean_predicted"] - r["conversion"]) for r in rows) / len(y)
        ),
        top_features=_importance(model, codes, enc.labels())[:10],
        leakage=found.findings,
        leakage_not_run=found.not_run,
        left_out=left_out,
        kept=[c for c in found.flagged() if c in keep],
        auc_with_flagged=auc_with_flagged,
        auc_alone=found.auc_alone,
        model=model,
        scores=scores,
    )


def read_csv(path: str) -> pl.DataFrame:
    """A CSV export with its separator sniffed (`,`, `;` or tab) and dates parsed."""
    with open(path, encoding="utf-8-sig") as handle:
        header = handle.readline()
    separator = max((",", ";", "\t"), key=header.count)
    return pl.read_csv(path, separator=separator, try_parse_dates=True, infer_schema_length=10_000)
