"""The real data sets load with exact counts, computed here from the raw files with csv."""

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tandem.accounts.models import Account
from tandem.contacts.models import Contact
from tandem.ingest import datasets
from tandem.ingest.mapping import profile_mapping
from tandem.opportunities.models import Opportunity

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="../shared/data not present")


def _rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _load(name, run_import, tmp_path):
    return [
        run_import(step.kind, step.path, name, profile_mapping(name, step.kind), notes=step.notes)
        for step in datasets.plan(name, DATA / _folder(name), tmp_path)
    ]


def _folder(name):
    return {"olist": "olist-marketing-funnel", "maven-crm": "crm-sales-opportunities"}[name]


def test_olist_funnel(db, run_import, tmp_path):
    mqls = _rows(DATA / "olist-marketing-funnel" / datasets.OLIST_MQL)
    deals = _rows(DATA / "olist-marketing-funnel" / datasets.OLIST_DEALS)
    contacts, accounts, opps = _load("olist", run_import, tmp_path)
    assert [j["rows_new"] for j in (contacts, accounts, opps)] == [
        len(mqls),
        len(deals),
        len(deals),
    ]
    assert sum(j["rows_quarantined"] for j in (contacts, accounts, opps)) == 0
    first = {r["mql_id"]: r["first_contact_date"] for r in mqls}
    early = [i + 2 for i, d in enumerate(deals) if d["won_date"][:10] < first[d["mql_id"]]]
    assert len(early) == 1
    trap = next(n for n in opps["notes"] if n["note"].startswith("deal won before"))
    assert (trap["rows"], trap["line"]) == (1, early[0])
    customers = db.scalar(select(func.count()).where(Contact.lifecycle_stage == "customer"))
    assert customers == len({d["mql_id"] for d in deals})
    by_source = dict(
        db.execute(
            select(Contact.first_touch_source, func.count()).group_by(Contact.first_touch_source)
        ).all()
    )
    assert by_source["paid_search"] == sum(r["origin"] == "paid_search" for r in mqls)
    assert by_source[None] == sum(r["origin"] in ("", "unknown") for r in mqls)
    kept = dict(db.execute(select(Opportunity.external_id, Opportunity.custom_fields)).all())
    assert kept == {
        f"olist-{d['mql_id']}": {"sdr_id": d["sdr_id"], "sr_id": d["sr_id"]} for d in deals
    }
    sellers = db.scalars(select(Account.custom_fields)).all()
    assert all("sdr_id" not in c and c["lead_type"] for c in sellers if c.get("lead_type"))


def test_maven_pipeline(db, run_import, tmp_path):
    folder = DATA / "crm-sales-opportunities"
    pipeline = _rows(folder / "sales_pipeline.csv")
    accounts, opps = _load("maven-crm", run_import, tmp_path)
    assert accounts["rows_new"] == len(_rows(folder / "accounts.csv"))
    assert opps["rows_new"] == len(pipeline) and opps["rows_quarantined"] == 0
    gtx = sum(r["product"] in ("GTXPro", "GTX Pro") for r in pipeline)
    assert db.scalar(select(func.count()).where(Opportunity.product_line == "GTX Pro")) == gtx
    won = sum(int(r["close_value"]) for r in pipeline if r["deal_stage"] == "Won")
    assert db.scalar(select(func.sum(Opportunity.amount)).where(Opportunity.is_won)) == won
    no_account = sum(not r["account"] for r in pipeline)
    assert db.scalar(select(func.count()).where(Opportunity.account_id.is_(None))) == no_account
    assert db.scalar(select(func.count()).where(Account.industry == "technolgy")) == 0
    assert any("GTXPro" in n["note"] for n in opps["notes"])
    teams = {t["sales_agent"]: t for t in _rows(folder / "sales_teams.csv")}
    kept = db.execute(
        select(
            Opportunity.external_id,
            Opportunity.rep_name,
            Opportunity.manager_name,
            Opportunity.team_name,
        )
    ).all()
    assert {k[0]: tuple(k[1:]) for k in kept} == {
        r["opportunity_id"]: (
            r["sales_agent"],
            teams[r["sales_agent"]]["manager"],
            teams[r["sales_agent"]]["regional_office"],
        )
        for r in pipeline
    }
