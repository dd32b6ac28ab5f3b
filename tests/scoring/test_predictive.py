"""Predictive score: learns a planted signal, calibrated, explained additively."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
from sklearn.metrics import brier_score_loss, roc_auc_score

from tandem.scoring.backtest import History
from tandem.scoring.predictive import train, training_set

from .scoring_support import make_model


def test_learns_calibrates_and_explains() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    x = np.column_stack([rng.integers(0, 2, n), rng.random(n) * 20, rng.normal(size=n)])
    logit = -2 + 2.5 * x[:, 0] + 0.1 * x[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = train(x[:2000], y[:2000], ["vp", "pricing", "noise"])
    p = model.predict(x[2000:])
    assert roc_auc_score(y[2000:], p) > 0.75
    assert brier_score_loss(y[2000:], p) < brier_score_loss(y[2000:], np.full(1000, y.mean()))
    assert abs(p.mean() - y[2000:].mean()) < 0.05  # calibrated on average
    contrib = model.contributions(x[2000:])
    logodds = model.explainer.decision_function((x[2000:] - model.mean) / model.scale)
    assert np.allclose(contrib.sum(axis=1) + model.intercept(), logodds)
    assert model.explain(np.array([1.0, 15.0, 0.0]))[0][0] == "vp"


def test_training_set_from_history() -> None:
    as_of = datetime(2024, 3, 1, tzinfo=UTC)
    scoring = make_model(
        fit_rules=[
            {"id": "vp", "field": "contact.job_level", "op": "equals", "value": "vp", "points": 10}
        ],
        behaviour_rules=[{"id": "demo", "activity_type": "demo_request", "points": 30}],
    )
    contacts = pl.DataFrame({"contact_id": [1, 2, 3], "contact.job_level": ["vp", None, "vp"]})
    activities = pl.DataFrame(
        {
            "contact_id": [1],
            "activity_type": ["demo_request"],
            "occurred_at": [as_of - timedelta(days=1)],
        }
    )
    transitions = pl.DataFrame(
        {"contact_id": [1], "to_stage": ["customer"], "occurred_at": [as_of + timedelta(days=9)]}
    )
    opportunities = pl.DataFrame(
        schema={
            "opportunity_id": pl.String,
            "contact_id": pl.Int64,
            "created_at": pl.Datetime("us", "UTC"),
            "won": pl.Boolean,
            "amount": pl.Float64,
        }
    )
    x, y, ids = training_set(
        scoring, History(contacts, activities, transitions, opportunities), as_of=as_of
    )
    assert ids.to_list() == [1, 2, 3]
    assert x.tolist() == [[1.0, 30.0], [0.0, 0.0], [1.0, 0.0]]
    assert y.tolist() == [1, 0, 0]
