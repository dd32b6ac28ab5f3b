"""The predictive trainer: real bank data (leakage named, honest model without it), refusal
below the minimum of outcomes, a JSON-storable model, and training on the workspace itself."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tandem.db import utcnow
from tandem.scoring.cli import app
from tandem.scoring.errors import NotEnoughOutcomes
from tandem.scoring.models import ContactPrediction
from tandem.scoring.predictive_store import train_workspace
from tandem.scoring.scorecard import TabularModel
from tandem.scoring.tabular import train_table
from tests import factories as f

BANK = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "uci-bank-marketing" / "bank-full.csv"
)
runner = CliRunner()


CLIENT = ["age", "job", "marital", "education", "default", "balance", "housing", "loan"]


@pytest.mark.skipif(not BANK.exists(), reason="shared bank-marketing data not present")
def test_train_cli_on_bank_data_leaves_duration_out(tmp_path):
    """`duration` (the call's length, known only after the call: README of the data) is caught
    by three tests and left out; the headline AUC is the honest one."""
    out = tmp_path / "scores.csv"
    known = [arg for column in CLIENT for arg in ("--pre-contact", column)]
    common = ["train", "--csv", str(BANK), "--target", "y", "--folds", "3", *known]
    result = runner.invoke(app, [*common, "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    fired = {(x["column"], x["test"]) for x in report["leakage"]}
    assert fired == {
        ("duration", "beats_rest"),
        ("duration", "value_determines"),
        ("duration", "far_above_pre_contact"),
    }
    share = next(x for x in report["leakage"] if x["test"] == "value_determines")["evidence"]
    assert share["outcome"] == "negative" and share["outcome_share"] >= 0.98
    assert report["left_out"] == ["duration"] and "duration" not in report["features"]
    assert 0.74 < report["auc"] < 0.80 and report["auc_with_flagged"] > 0.88
    assert report["positives"] == 5289
    assert report["leakage_not_run"][0]["test"] == "changed_after_outcome"
    assert report["deciles"][0]["conversion"] > 0.3  # vs 11.7% base rate
    scores = pl.read_csv(out)
    assert scores.height == 45211 and scores["score"].min() >= 0 and scores["score"].max() <= 100
    kept = runner.invoke(app, [*common, "--keep", "duration"])
    assert kept.exit_code == 0, kept.output
    assert "LEAKAGE: 'duration' kept (--keep)" in kept.output
    assert float(kept.output.split("cross-validated AUC ")[1].split()[0]) > 0.88


def test_keep_and_pre_contact_name_real_columns(tmp_path):
    path = tmp_path / "leads.csv"
    rng = np.random.default_rng(0)
    pl.DataFrame(
        {"size": rng.integers(1, 500, 300), "won": rng.choice(["yes", "no"], 300).tolist()}
    ).write_csv(path)
    base = ["train", "--csv", str(path), "--target", "won"]
    for option in ("--keep", "--pre-contact"):
        result = runner.invoke(app, [*base, option, "sise"])
        assert result.exit_code == 1
        assert "no feature column 'sise'" in result.output
        assert "(feature columns: size)" in result.output
    workspace = runner.invoke(app, ["train", "--pre-contact", "contact.title"])
    assert workspace.exit_code == 1 and "--pre-contact is for --csv" in workspace.output


def test_refuses_below_the_minimum_of_outcomes(tmp_path):
    path = tmp_path / "few.csv"
    pl.DataFrame({"x": list(range(200)), "won": ["yes"] * 10 + ["no"] * 190}).write_csv(path)
    result = runner.invoke(app, ["train", "--csv", str(path), "--target", "won"])
    assert result.exit_code == 1
    assert "not trained: 10 positive and 190 negative outcomes" in result.output
    assert "at least 50 of each" in result.output


def test_model_round_trips_through_json_and_explains_each_row():
    rng = np.random.default_rng(5)
    n = 1200
    frame = pl.DataFrame(
        {
            "id": range(n),
            "level": rng.choice(["vp", "manager", "intern"], n).tolist(),
            "visits": rng.poisson(3, n),
            "status": ["?"] * n,
        }
    )
    logit = -2 + 2.0 * (frame["level"] == "vp").to_numpy() + 0.3 * frame["visits"].to_numpy()
    won = rng.random(n) < 1 / (1 + np.exp(-logit))
    frame = frame.with_columns(
        pl.Series("won", won), pl.Series("status", np.where(won, "closed", "open"))
    )
    leaky = train_table(frame, "won", id_column="id", folds=3, keep=["status"])
    assert [w.column for w in leaky.leakage][0] == "status" and leaky.auc > 0.95
    honest = train_table(frame, "won", id_column="id", folds=3)
    assert honest.left_out == ["status"] and 0.65 < honest.auc < 0.95
    assert honest.auc_with_flagged == pytest.approx(leaky.auc)
    loaded = TabularModel.from_json(json.loads(json.dumps(honest.model.to_json())))
    features = frame.select("level", "visits")
    assert np.allclose(loaded.predict(features), honest.model.predict(features))
    factors = loaded.explain(features.head(3))
    vp_row = int(np.argmax(features["level"].head(3).to_numpy() == "vp"))
    if features["level"][vp_row] == "vp":
        assert any(name == "level = vp" and w > 0 for name, w in factors[vp_row])


def test_workspace_training_stores_predictions(db, marketer):
    now = utcnow()
    day = timedelta(days=1)
    with pytest.raises(NotEnoughOutcomes, match="at least 50"):
        train_workspace(db_session=db, user=marketer, outcome="won", as_of=now - 90 * day, now=now)
    rng = np.random.default_rng(1)
    account = f.account(db)
    for i in range(80):
        level = "vp" if i % 2 else "manager"
        person = f.contact(db, job_level=level, account_id=None, created_at=now - 200 * day)
        if i % 2 or rng.random() < 0.2:
            f.activity(db, person, "demo_request", now - 100 * day)
        if (i % 2 and rng.random() < 0.7) or rng.random() < 0.1:
            f.opportunity(
                db, account, primary_contact_id=person.id, is_won=True, amount=Decimal("100"),
                created_at=now - 30 * day,
            )  # fmt: skip
    row, report, scored = train_workspace(
        db_session=db, user=marketer, outcome="won", as_of=now - 90 * day, now=now, min_outcomes=10
    )
    assert row.active_flag == 1 and report.rows == 80 and scored == 80
    # job_level beats the rest here, honestly: known before first contact, it is not flagged.
    assert report.leakage == [] and report.left_out == []
    # Five folds over 80 contacts: the honest AUC moves a few points with the row order the
    # backend returns (0.69-0.75 seen); well above chance either way.
    assert report.auc > 0.65
    stored = db.scalars(select(ContactPrediction)).all()
    assert len(stored) == 80 and all(0 <= p.score <= 100 for p in stored)
    assert any(factor["weight"] > 0 for p in stored for factor in p.factors)
