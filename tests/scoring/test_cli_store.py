"""`tandem scoring propose/approve/backtest/versions` on a real (temporary SQLite) database."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tandem.auth.roles import Role
from tandem.cli.main import app
from tandem.db import make_engine, utcnow
from tests import factories as f

from .store_support import person, small_yaml

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["scoring", *args], catch_exceptions=False)


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A migrated database with a marketer, a sales manager and a short, known history."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    now = utcnow()
    day = timedelta(days=1)
    engine = make_engine(url)
    with Session(engine) as db:
        marketer, manager = person(db, Role.MARKETER), person(db, Role.SALES_MANAGER)
        target = f.account(db, is_target=True)
        buyer = f.contact(db, account_id=target.id, job_level="vp", lifecycle_stage="lead")
        browser = f.contact(db, job_level="manager", lifecycle_stage="lead")
        for contact in (buyer, browser):
            f.activity(db, contact, "page_view", now - 25 * day, url="https://t.example/pricing")
        f.activity(db, buyer, "demo_request", now - 20 * day)
        f.transition(db, buyer, "mql", "sql", now - 10 * day)
        f.opportunity(
            db, target, primary_contact_id=buyer.id, is_won=True, amount=Decimal("5000"),
            created_at=now - 5 * day,
        )  # fmt: skip
        db.commit()
        emails = marketer.email, manager.email
    engine.dispose()
    model = tmp_path / "small.yaml"
    model.write_text(small_yaml())
    return tmp_path, model, emails


def test_propose_approve_and_backtest(workspace):
    folder, model, (marketer, manager) = workspace
    proposed = invoke("propose", str(model), "--as", marketer, "--note", "first model")
    assert proposed.exit_code == 0 and "proposed small@1 (id 1)" in proposed.output
    same_team = invoke("approve", "1", "--as", marketer)
    assert same_team.exit_code == 1 and "only a sales manager" in same_team.output
    approved = invoke("approve", "1", "--as", manager)
    assert approved.exit_code == 0 and '"contacts": 2' in approved.output
    assert "small@1" in invoke("versions").output and "active" in invoke("versions").output

    report = json.loads(
        invoke("backtest", "--format", "json", "--capacity", "1", "--reps", "1").output
    )
    section = report["models"][0]
    assert section["label"] == "small@1" and section["mql_rule"] == "total >= 50"
    assert (section["mqls"], section["sqls"], section["won"], section["revenue"]) == (
        1,
        1,
        1,
        5000.0,
    )
    assert sum(m["mqls"] for m in section["months"]) == 1
    assert section["capacity_threshold"] is not None and section["f1_threshold"] is not None
    assert report["capacity"]["max_mqls"] == int(report["capacity"]["weeks"])

    other = folder / "other.yaml"
    other.write_text(small_yaml(2, vp=45))
    out = folder / "report.html"
    html = invoke(
        "backtest", "--model", str(model), "--compare", str(other), "--format", "html",
        "--out", str(out),
    )  # fmt: skip
    assert html.exit_code == 0
    page = out.read_text()
    assert page.count('class="card model-report"') == 2 and "<table" in page
    proposed = invoke("propose", str(other), "--as", marketer)
    assert proposed.exit_code == 0
    both = json.loads(invoke("backtest", "--compare-version", "2", "--format", "json").output)
    assert [m["label"] for m in both["models"]] == ["small@1", "small@2"]
    missing = invoke("backtest", "--version", "1", "--compare-version", "9")
    assert missing.exit_code == 1 and "no scoring model version with id 9" in missing.output
    text = invoke("backtest", "--step-days", "14").output
    assert "recommended within capacity: n/a (give --capacity)" in text and "F1-best" in text


def test_bad_model_file_is_refused_with_file_line(workspace):
    folder, _, (marketer, _) = workspace
    bad = folder / "bad.yaml"
    bad.write_text(small_yaml().replace("half_life_days: 30", "half_life_days: 0"))
    result = invoke("propose", str(bad), "--as", marketer)
    assert result.exit_code == 1
    assert f"{bad}:7: error:" in result.output and "greater than 0" in result.output
    assert "was not proposed" in result.output
