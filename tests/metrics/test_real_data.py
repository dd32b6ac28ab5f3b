"""Olist and Maven CRM in one workspace: every figure the dashboards show for one data set
(filtered by source) equals pandas over that data set's raw CSVs.

The figures are read the way a user reads them: the dashboards' JSON with `source=...`, and
the registry's API with `filter=source=...` for the breakdowns.
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.analytics.conftest import as_cro, cro, settings  # noqa: F401 (fixtures)
from tests.ingest.conftest import run_import  # noqa: F401 (fixture)
from tests.ingest.test_unknown_values_real import MAVEN, OLIST, both  # noqa: F401

pytestmark = pytest.mark.skipif(not MAVEN.exists(), reason="../shared/data not present")
#: Both data sets lie within these days (2016-10 to 2018-10).
FIRST, LAST = date(2016, 1, 1), date(2018, 12, 31)
RANGE = f"start={FIRST}&end=2019-01-01"


def _maven() -> pd.DataFrame:
    deals = pd.read_csv(MAVEN / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"])
    teams = pd.read_csv(MAVEN / "sales_teams.csv")
    deals["product"] = deals["product"].replace({"GTXPro": "GTX Pro"})
    return deals.merge(teams, on="sales_agent", how="left")


def _olist() -> tuple[pd.DataFrame, pd.DataFrame]:
    mqls = pd.read_csv(
        OLIST / "olist_marketing_qualified_leads_dataset.csv", parse_dates=["first_contact_date"]
    )
    deals = pd.read_csv(OLIST / "olist_closed_deals_dataset.csv", parse_dates=["won_date"])
    return mqls, deals.merge(mqls, on="mql_id", how="left")


def _tiles(client, page: str, source: str) -> dict[str, dict]:
    data = client.get(f"/api/v1/analytics/{page}?{RANGE}&source={source}").json()
    assert data["filters"]["values"] == {"source": source}, data["filters"]["issues"]
    return {f["metric"]: f for f in data["figures"]}


def _breakdown(client, metric: str, source: str, by: str) -> dict[str, float]:
    params = {"from": str(FIRST), "to": str(LAST), "by": by, "filter": f"source={source}"}
    data = client.get(f"/api/v1/metrics/{metric}", params=params).json()
    return {p["value"]: p["figure"] for p in data["breakdown"]}


def test_maven_dashboards_equal_pandas(as_cro, both):  # noqa: F811
    deals = _maven()
    won = deals[deals["deal_stage"] == "Won"]
    closed = deals[deals["deal_stage"].isin(["Won", "Lost"])]
    cycles = (won["close_date"] - won["engage_date"]).dt.days
    pipeline = _tiles(as_cro, "pipeline", "maven-crm")
    assert pipeline["win_rate"]["value"] == pytest.approx(len(won) / len(closed))
    assert pipeline["win_rate"]["rows"] == len(closed)
    assert pipeline["average_won_deal"]["value"] == pytest.approx(won["close_value"].mean())
    assert pipeline["open_deals"]["value"] == (~deals["deal_stage"].isin(["Won", "Lost"])).sum()
    revenue = _tiles(as_cro, "revenue", "maven-crm")
    assert revenue["revenue_won"]["value"] == pytest.approx(won["close_value"].sum())
    assert revenue["deals_won"]["value"] == len(won)
    velocity = _tiles(as_cro, "velocity", "maven-crm")
    cycle = velocity["sales_cycle_days"]
    assert cycle["value"] == pytest.approx(cycles.median())
    assert cycle["p90"] == pytest.approx(np.percentile(cycles, 90))
    assert cycle["unknown"] == 0
    # Prospecting deals have no creation date: counted unknown, never "created" in a window.
    created = as_cro.get(
        "/api/v1/metrics/deals_created",
        params={"from": str(FIRST), "to": str(LAST), "filter": "source=maven-crm"},
    ).json()
    assert created["value"] == deals["engage_date"].notna().sum()
    assert created["unknown"] == (deals["deal_stage"] == "Prospecting").sum() == 500
    # The deal dimensions Maven has: product, rep, manager and team (regional office).
    for by, column in (
        ("product", "product"),
        ("rep", "sales_agent"),
        ("manager", "manager"),
        ("team", "regional_office"),
    ):
        expected = won.groupby(column)["close_value"].sum().to_dict()
        got = _breakdown(as_cro, "revenue_won", "maven-crm", by)
        assert got == pytest.approx(expected), by


def test_olist_dashboards_equal_pandas(as_cro, both):  # noqa: F811
    mqls, deals = _olist()
    funnel = _tiles(as_cro, "funnel", "olist")
    assert funnel["reached_mql"]["value"] == len(mqls) == 8000
    assert funnel["reached_customer"]["value"] == len(deals) == 842
    data = as_cro.get(f"/api/v1/analytics/funnel?{RANGE}&source=olist").json()
    steps = {(c["from_stage"], c["to_stage"]): c for c in data["conversions"]}
    # Olist jumps from MQL to won: SAL, SQL and opportunity are implied, and the page says so.
    assert steps[("mql", "sal")]["converted"] == steps[("mql", "sal")]["implied"] == 842
    assert any("not measured" in n["message"] for n in data["notices"])
    velocity = _tiles(as_cro, "velocity", "olist")
    cycles = (deals["won_date"] - deals["first_contact_date"]).dt.total_seconds() / 86400
    assert velocity["sales_cycle_days"]["value"] == pytest.approx(cycles.median(), abs=1e-5)
    revenue = _tiles(as_cro, "revenue", "olist")
    # The file has no deal values: nothing summed, every won deal counted as unknown.
    assert revenue["revenue_won"]["value"] == 0
    assert revenue["revenue_won"]["unknown"] == revenue["deals_won"]["value"] == 842
    pipeline = _tiles(as_cro, "pipeline", "olist")
    assert pipeline["average_won_deal"]["value"] is None
    by_channel = _breakdown(as_cro, "reached_mql", "olist", "channel")
    origins = (
        mqls["origin"]
        .fillna("unknown")
        .replace(
            {"social": "organic_social", "direct_traffic": "direct", "other_publicities": "other"}
        )
    )
    assert sum(by_channel.values()) == len(mqls)
    assert by_channel["paid_search"] == (origins == "paid_search").sum()
    assert by_channel["organic_search"] == (origins == "organic_search").sum()
