"""Predictive score beside the rules: calibrated logistic regression on rule-derived features.

Features are the rules' own parts (from `rescore`): for each fit rule 1/0 when it matched, for
each behaviour rule the decayed points it gave. So the prediction is explained in the same
vocabulary as the rule score: each feature's contribution to the log-odds, which add up with
the intercept to the (uncalibrated) log-odds exactly. Probabilities are calibrated (isotonic or
sigmoid, cross-validated) so "0.3" means about 30% of such contacts reach the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import polars as pl
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from tandem.scoring.backtest import History, Outcome, outcomes
from tandem.scoring.engine import epoch_us
from tandem.scoring.model import ScoringModel
from tandem.scoring.rescore import rescore

_OUTCOME_COLUMN = {"sql": "reached_sql", "opportunity": "reached_opportunity", "won": "won"}


def features(model: ScoringModel, parts: pl.DataFrame, contact_ids: pl.Series) -> np.ndarray:
    """One row per contact id, one column per rule id (model order), from a parts table."""
    ids = model.rule_ids()
    fit_ids = {r.id for r in model.fit_rules}
    values = parts.select(
        "contact_id",
        "rule_id",
        pl.when(pl.col("rule_id").is_in(list(fit_ids)))
        .then(1.0)
        .otherwise(pl.col("points").cast(pl.Float64))
        .alias("v"),
    )
    wide = values.pivot(on="rule_id", index="contact_id", values="v")
    frame = pl.DataFrame({"contact_id": contact_ids}).join(wide, on="contact_id", how="left")
    cols = [pl.col(i) if i in frame.columns else pl.lit(0.0).alias(i) for i in ids]
    return frame.select(cols).fill_null(0.0).to_numpy().astype(float)


def training_set(
    model: ScoringModel, history: History, *, as_of: datetime, outcome: Outcome = "won"
) -> tuple[np.ndarray, np.ndarray, pl.Series]:
    """Features as of `as_of` and labels: did the contact reach `outcome` after `as_of`."""
    scored = rescore(model, history.contacts, history.activities, as_of=as_of)
    ids = scored.scores["contact_id"]
    everyone = pl.DataFrame({"contact_id": ids}).with_columns(
        pl.lit(epoch_us(as_of)).alias("from_us"), pl.lit(epoch_us(as_of)).alias("mql_us")
    )
    flags = outcomes(everyone, history)
    labels = pl.DataFrame({"contact_id": ids}).join(
        flags.select("contact_id", _OUTCOME_COLUMN[outcome]), on="contact_id", how="left"
    )
    y = labels[_OUTCOME_COLUMN[outcome]].fill_null(False).to_numpy().astype(int)
    return features(model, scored.parts, ids), y, ids


@dataclass(frozen=True)
class PredictiveModel:
    """A fitted, calibrated predictor and the linear model used to explain it."""

    feature_names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    explainer: LogisticRegression
    calibrated: CalibratedClassifierCV

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Calibrated probability of the outcome, one per row."""
        return self.calibrated.predict_proba(self._standardise(x))[:, 1]

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Per-feature log-odds contributions; each row + intercept = uncalibrated log-odds."""
        return self._standardise(x) * self.explainer.coef_[0]

    def intercept(self) -> float:
        """The log-odds of a contact at the training average."""
        return float(self.explainer.intercept_[0])

    def explain(self, x_row: np.ndarray, top: int = 5) -> list[tuple[str, float]]:
        """The `top` features pushing this contact's prediction most, with signed log-odds."""
        contrib = self.contributions(x_row.reshape(1, -1))[0]
        order = np.argsort(-np.abs(contrib))[:top]
        return [(self.feature_names[i], float(contrib[i])) for i in order if contrib[i] != 0]

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.scale


def train(
    x: np.ndarray,
    y: np.ndarray,
    feature_names: tuple[str, ...] | list[str],
    *,
    method: Literal["isotonic", "sigmoid"] = "isotonic",
    folds: int = 3,
    seed: int = 0,
) -> PredictiveModel:
    """Fit a regularised logistic regression and a cross-validated calibration of it."""
    if len(set(y.tolist())) < 2:
        raise ValueError("need both positive and negative examples to train")
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    z = (x - mean) / scale
    base = LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
    explainer = base.fit(z, y)
    calibrated = CalibratedClassifierCV(
        LogisticRegression(C=1.0, max_iter=1000, random_state=seed), method=method, cv=folds
    ).fit(z, y)
    return PredictiveModel(tuple(feature_names), mean, scale, explainer, calibrated)
