"""Real data through the importers: Tandem's funnel, win rate, deal counts and revenue by
segment, region and vertical equal an independent pandas computation from the raw CSVs.

Olist (real MQLs and won deals) and Maven's CRM pipeline (fictitious, messy) are imported with
`tandem import dataset` into their own SQLite databases, then read back through the JSON API.
"""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tandem.db import make_engine
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.web.test_pages import login

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
RANGE = "start=2016-01-01&end=2019-01-01"

if importlib.util.find_spec("tandem.ingest.datasets") is None:
    pytest.skip("the importers (tandem.ingest.datasets) are not there yet", allow_module_level=True)
if not DATA.is_dir():
    pytest.skip(f"the shared data sets are not at {DATA}", allow_module_level=True)

# The documented source-to-channel mapping of the olist import profile (docs/ingest.md).
OLIST_CHANNEL = {
    "organic_search": "organic_search",
    "paid_search": "paid_search",
    "social": "organic_social",
    "direct_traffic": "direct",
    "email": "email",
    "referral": "referral",
    "display": "display",
    "other": "other",
    "other_publicities": "other",
}


def _client(tmp_path_factory, name: str, folder: str) -> TestClient:
    """Import data set `name` into a fresh database and sign in to an app over it."""
    root = tmp_path_factory.mktemp(name)
    url = f"sqlite:///{root / 'tandem.db'}"
    engine = make_engine(url)
    upgrade(engine)
    from tandem.cli.main import app as cli

    env = {"TANDEM_DATABASE_URL": url, "TANDEM_DATA_DIR": str(root / "var")}
    result = CliRunner().invoke(cli, ["import", "dataset", name, str(DATA / folder)], env=env)
    assert result.exit_code == 0, result.output
    with Session(engine) as db:
        viewer = f.user(db, email=f"viewer@{name}.example", name="Viewer")
        db.commit()
        email = viewer.email
    app = create_app(Settings(database_url=url, environment="test", analytics_refresh_seconds=0))
    client = TestClient(app)
    assert login(client, email).status_code == 303
    return client


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    with _client(tmp_path_factory, "olist", "olist-marketing-funnel") as client:
        yield client


@pytest.fixture(scope="module")
def maven(tmp_path_factory):
    with _client(tmp_path_factory, "maven-crm", "crm-sales-opportunities") as client:
        yield client


def _by(data: dict, dimension: str, field: str) -> dict:
    return {
        r["value"]: r[field]
        for r in data["by_dimension"]
        if r["dimension"] == dimension and r[field]
    }


def test_olist_funnel_by_channel(olist):
    mqls = pd.read_csv(DATA / "olist-marketing-funnel/olist_marketing_qualified_leads_dataset.csv")
    deals = pd.read_csv(DATA / "olist-marketing-funnel/olist_closed_deals_dataset.csv")
    mqls["channel"] = mqls["origin"].map(OLIST_CHANNEL).fillna("unknown")
    mqls["won"] = mqls["mql_id"].isin(deals["mql_id"])
    data = olist.get(f"/api/v1/analytics/funnel?{RANGE}").json()
    totals = {t["stage"]: t["contacts"] for t in data["totals"]}
    assert totals["mql"] == mqls["mql_id"].nunique() == 8000
    assert totals["customer"] == deals["mql_id"].nunique() == 842
    by_channel = {r["value"]: r["stages"] for r in data["breakdown"]}
    expected = mqls.groupby("channel").agg(mql=("mql_id", "count"), customer=("won", "sum"))
    assert {k: (v["mql"], v["customer"]) for k, v in by_channel.items()} == {
        k: (int(r.mql), int(r.customer)) for k, r in expected.iterrows()
    }


def test_olist_deals_by_segment_and_vertical(olist):
    deals = pd.read_csv(DATA / "olist-marketing-funnel/olist_closed_deals_dataset.csv")
    data = olist.get(f"/api/v1/analytics/pipeline?{RANGE}").json()
    assert data["won"] == len(deals) and data["win_rate"] == 1.0  # the file holds won deals only
    for dimension, column in (("segment", "lead_type"), ("vertical", "business_segment")):
        expected = deals[column].fillna("unknown").value_counts().to_dict()
        assert _by(data, dimension, "won") == expected, dimension


def test_maven_win_rate_deal_counts_and_revenue(maven):
    pipeline = pd.read_csv(DATA / "crm-sales-opportunities/sales_pipeline.csv")
    teams = pd.read_csv(DATA / "crm-sales-opportunities/sales_teams.csv")
    accounts = pd.read_csv(DATA / "crm-sales-opportunities/accounts.csv")
    accounts["sector"] = accounts["sector"].replace({"technolgy": "technology"})
    # Tandem's segment rule (docs/analytics.md): up to 50 people SMB, up to 1,000 mid-market.
    accounts["segment"] = pd.cut(
        accounts["employees"],
        [0, 50, 1000, float("inf")],
        labels=["smb", "mid_market", "enterprise"],
    ).astype(str)
    deals = pipeline.merge(teams, on="sales_agent", how="left").merge(
        accounts, on="account", how="left"
    )
    closed = deals[deals["deal_stage"].isin(["Won", "Lost"])]
    won = closed[closed["deal_stage"] == "Won"]
    data = maven.get(f"/api/v1/analytics/pipeline?{RANGE}").json()
    assert (data["won"], data["closed"]) == (len(won), len(closed)) == (4238, 6711)
    assert data["win_rate"] == pytest.approx(len(won) / len(closed))
    for dimension, column in (
        ("region", "regional_office"),
        ("vertical", "sector"),
        ("segment", "segment"),
    ):
        assert (
            _by(data, dimension, "won") == won[column].fillna("unknown").value_counts().to_dict()
        ), dimension
        lost = (
            closed[closed["deal_stage"] == "Lost"][column]
            .fillna("unknown")
            .value_counts()
            .to_dict()
        )
        assert _by(data, dimension, "lost") == lost, dimension
        revenue = won.groupby(won[column].fillna("unknown"))["close_value"].sum().to_dict()
        assert _by(data, dimension, "won_amount") == pytest.approx(revenue), dimension
    types = {t["deal_type"]: t for t in data["deal_types"]}
    assert types["new"]["won_amount"] == pytest.approx(won["close_value"].sum())
