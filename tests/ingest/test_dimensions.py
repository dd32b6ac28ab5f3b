"""Deal dimensions and record sources on the real data sets, checked against pandas on the raw
CSVs: Maven's deals by product, rep, manager and team; Olist's leads linked to their sellers;
both data sets in one workspace told apart by source."""

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from sqlalchemy import func, select

from tandem.accounts.models import Account
from tandem.analytics.snapshot import load_facts
from tandem.contacts.models import Contact, RecordSource
from tandem.ingest import datasets
from tandem.ingest.mapping import profile_mapping
from tandem.opportunities.models import Opportunity

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MAVEN = DATA / "crm-sales-opportunities"
OLIST = DATA / "olist-marketing-funnel"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="../shared/data not present")


def _load(name, folder, run_import, tmp_path):
    for step in datasets.plan(name, folder, tmp_path):
        job = run_import(step.kind, step.path, name, profile_mapping(name, step.kind))
        assert job["status"] == "done" and job["rows_quarantined"] == 0


@pytest.fixture
def both(db, run_import, tmp_path):
    """Maven CRM and Olist imported into one workspace; the dashboard facts read back."""
    _load("maven-crm", MAVEN, run_import, tmp_path)
    _load("olist", OLIST, run_import, tmp_path)
    return load_facts(db_session=db, loaded_at=datetime(2026, 1, 1, tzinfo=UTC))


def _maven_deals():
    pipeline = pd.read_csv(MAVEN / "sales_pipeline.csv")
    teams = pd.read_csv(MAVEN / "sales_teams.csv")
    deals = pipeline.merge(teams, on="sales_agent", how="left")
    deals["product"] = deals["product"].replace({"GTXPro": "GTX Pro"})
    return deals.rename(
        columns={"sales_agent": "rep", "regional_office": "team"}
    )  # product, rep, manager, team


def test_maven_deals_break_down_like_pandas(both, db):
    deals = _maven_deals()
    maven = both.opportunities.filter(pl.col("source") == "maven-crm")
    for dimension in ("product", "rep", "manager", "team"):
        expected = deals.groupby(dimension).size().to_dict()
        assert dict(maven.group_by(dimension).len().iter_rows()) == expected, dimension
        assert len(expected) > 2  # a breakdown, not one bucket
        won = deals[deals["deal_stage"] == "Won"].groupby(dimension)["close_value"].sum()
        got_won = maven.filter(pl.col("is_won")).group_by(dimension).agg(pl.col("amount").sum())
        assert dict(got_won.iter_rows()) == pytest.approx(won.astype(float).to_dict())
    _olist_leads_linked_to_their_sellers(db)


def test_sources_tell_the_data_sets_apart(both, db):
    deals = pd.read_csv(OLIST / datasets.OLIST_DEALS)
    mqls = pd.read_csv(OLIST / datasets.OLIST_MQL)
    by_source = dict(both.opportunities.group_by("source").len().iter_rows())
    assert by_source == {"maven-crm": len(_maven_deals()), "olist": len(deals)}
    assert dict(both.contacts.group_by("source").len().iter_rows()) == {"olist": len(mqls)}
    olist = both.opportunities.filter(both.opportunities["source"] == "olist")
    # Olist's deals name no product, rep, manager or team: unknown, never another set's values.
    assert (
        olist.select("product", "rep", "manager", "team").null_count().row(0) == (len(deals),) * 4
    )
    _each_import_job_is_a_source(db)


def _olist_leads_linked_to_their_sellers(db):
    deals = pd.read_csv(OLIST / datasets.OLIST_DEALS)
    linked = deals.dropna(subset=["seller_id"])
    expected = linked.groupby("seller_id")["mql_id"].nunique().sum()
    got = db.scalar(
        select(func.count())
        .select_from(Contact)
        .join(Account, Contact.account_id == Account.id)
        .where(Account.external_id.in_(linked["seller_id"].unique().tolist()))
    )
    assert got == expected == linked["mql_id"].nunique()
    pairs = set(
        db.execute(
            select(Contact.external_id, Account.external_id).join(
                Account, Contact.account_id == Account.id
            )
        ).all()
    )
    assert pairs == set(linked[["mql_id", "seller_id"]].itertuples(index=False, name=None))


def _each_import_job_is_a_source(db):
    names = db.execute(
        select(RecordSource.name, func.count())
        .group_by(RecordSource.name)
        .order_by(RecordSource.name)
    ).all()
    # One source per job: accounts and deals for Maven; MQLs, sellers and deals for Olist.
    assert names == [("maven-crm", 2), ("olist", 3)]
    sellers = db.scalar(select(func.count()).where(Account.source_id.is_not(None)))
    assert sellers == db.scalar(select(func.count()).select_from(Account))
    assert db.scalar(select(func.count()).where(Opportunity.source_id.is_(None))) == 0
