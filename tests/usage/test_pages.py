"""The customers dashboard, the account page's usage section, a signal's page, the API, the
weekly review's panel and the CLI."""

import json
from datetime import UTC, date, datetime

import numpy as np
import polars as pl
from typer.testing import CliRunner

from tandem.auth.roles import Role
from tandem.cli.main import app as cli
from tandem.db import utcnow
from tandem.usage import service
from tests import factories as f
from tests.web.test_pages import login

from .conftest import with_usage


def test_dashboard_account_section_and_packet_show_the_same_figures(
    client, db, run_import, customers
):
    with_usage(run_import)
    acme, _ = customers
    run = service.score_and_store(db, as_of=date(2026, 6, 28), at=utcnow())
    rep = f.user(db, Role.SALES_REP)
    db.flush()
    assert login(client, rep.email).status_code == 303
    page = client.get("/customers")
    assert page.status_code == 200
    assert 'id="tile-net_revenue_retention"' in page.text
    api = client.get("/api/v1/customers").json()
    tiles = {t["name"]: t["value"] for t in api["tiles"]}
    assert {"gross_revenue_retention", "logo_churn"} <= set(tiles)
    # From the registry over the last year: Beta's churn (800 MRR) on 2026-05-15.
    assert (tiles["churned_mrr"], tiles["customers_churned"]) == (800, 1)
    assert 'href="/metrics/churned_mrr?from=' in page.text
    assert sum(d["accounts"] for d in api["by_segment"]) == run.health.scores.height
    account = client.get(f"/accounts/{acme.id}")
    assert account.status_code == 200 and 'id="usage"' in account.text
    section = client.get(f"/api/v1/accounts/{acme.id}/usage").json()
    score = section["health"][-1]["score"]
    assert round(sum(p["points"] for p in section["parts"]), 2) == score
    assert f">{score:.0f}</td>" in account.text
    # 12 active users on 10 seats in the last week: seats full, and over the limit.
    rules = {s["rule"]: s["id"] for s in section["signals"]}
    assert {"seats_full", "limit_100:active_users", "growth_above_plan"} <= set(rules)
    packet = client.get(f"/api/v1/usage/signals/{rules['seats_full']}").json()
    assert packet["signal"]["account_id"] == acme.id
    assert packet["signal"]["evidence"]["used"] == 12 and packet["signal"]["evidence"]["over_limit"]
    shown = client.get(f"/customers/signals/{rules['seats_full']}")
    assert shown.status_code == 200 and "over_limit: True" in shown.text
    assert client.get("/api/v1/usage/signals/999999").status_code == 404
    assert client.get("/api/v1/usage/signals?kind=upsell").status_code == 422


def test_the_weekly_review_has_the_customers_panel(db, run_import, customers):
    from tandem.analytics.periods import parse_period
    from tandem.analytics.snapshot import load_facts
    from tandem.usage.review import sections

    with_usage(run_import)
    week = parse_period("2026-W27")
    at = datetime(2026, 7, 8, tzinfo=UTC)
    facts = load_facts(db_session=db, loaded_at=at)
    (panel,) = sections(db_session=db, facts=facts, week=week, as_of=at)
    figures = dict(panel.table.rows)
    assert figures["Logo churn"] == "50.0%"  # Beta of Acme and Beta, within the year


def test_train_on_a_csv_reports_auc_deciles_and_leakage(tmp_path):
    rng = np.random.default_rng(1)
    n = 400
    adoption = rng.uniform(0, 1, n)
    churned = (rng.uniform(0, 1, n) < 0.6 - 0.5 * adoption).astype(int)
    frame = pl.DataFrame(
        {
            "account": range(n),
            "adoption": adoption.round(3),
            "seats": rng.integers(5, 50, n),
            "cancel_reason_filled": churned,  # the outcome leaking in
            "churned": churned,
        }
    )
    path = tmp_path / "customers.csv"
    frame.write_csv(path)
    result = CliRunner().invoke(
        cli,
        ["health", "train", "--csv", str(path), "--target", "churned", "--id", "account",
         "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert 0.6 < report["auc"] < 0.95
    assert "cancel_reason_filled" in report["left_out"]
    assert len(report["deciles"]) == 10
    assert report["top_features"][0]["column"] == "adoption"


def test_the_workspace_backtest_counts_each_month_cohort(db, run_import, customers):
    with_usage(run_import)
    report = service.run_backtest(
        db, first=date(2026, 2, 1), last=date(2026, 4, 30), thresholds=(50.0,), horizon_days=90
    )
    # Acme and Beta pay at each month's end; Beta churns on 2026-05-15, within 90 days of each.
    assert [(m.isoformat(), c[0].accounts, c[0].churned) for m, c in report.months] == [
        ("2026-02-28", 2, 1), ("2026-03-31", 2, 1), ("2026-04-30", 2, 1),
    ]  # fmt: skip


def test_a_workspace_without_customers_adds_no_review_section(db):
    from tandem.analytics.periods import parse_period
    from tandem.usage.review import sections

    week = parse_period("2026-W27")
    assert (
        sections(db_session=db, facts=None, week=week, as_of=datetime(2026, 7, 8, tzinfo=UTC)) == []
    )
