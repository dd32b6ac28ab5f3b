"""Olist and Maven CRM in one workspace: no value is invented, so the sales cycle and the average
won deal equal pandas over the raw CSVs, and the import reports name what is unknown or derived.

Olist's closed deals have no creation date and no value: the profile's rule dates them by their
lead's first contact (MQL file) and their amounts stay unknown. Maven's Prospecting deals have no
engage date: their creation date stays unknown.
"""

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from tandem.analytics import deal_tables, velocity
from tandem.analytics.snapshot import load_facts
from tandem.ingest import datasets, report
from tandem.ingest.mapping import profile_mapping
from tandem.metrics.engine import engine_for
from tandem.metrics.spec import Window

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="../shared/data not present")
OLIST, MAVEN = DATA / "olist-marketing-funnel", DATA / "crm-sales-opportunities"
START, END = datetime(2016, 1, 1, tzinfo=UTC), datetime(2019, 1, 1, tzinfo=UTC)


def _olist_cycles() -> pd.Series:
    mqls = pd.read_csv(OLIST / datasets.OLIST_MQL, parse_dates=["first_contact_date"])
    deals = pd.read_csv(OLIST / datasets.OLIST_DEALS, parse_dates=["won_date"])
    joined = deals.merge(mqls, on="mql_id", how="left")
    return (joined["won_date"] - joined["first_contact_date"]).dt.total_seconds() / 86400


def _maven() -> pd.DataFrame:
    return pd.read_csv(MAVEN / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"])


def _maven_won_cycles() -> pd.Series:
    won = _maven()[lambda d: d["deal_stage"] == "Won"]
    return (won["close_date"] - won["engage_date"]).dt.total_seconds() / 86400


@pytest.fixture
def both(db, run_import, tmp_path):
    """Both data sets imported into the test's workspace: {data set: its deals' import job}."""
    jobs = {}
    for name in ("olist", "maven-crm"):
        for step in datasets.plan(name, OLIST if name == "olist" else MAVEN, tmp_path):
            mapping = profile_mapping(name, step.kind)
            jobs[name] = run_import(step.kind, step.path, name, mapping, notes=step.notes)
    return jobs


def _won_cycle(opportunities):
    rows = velocity.sales_cycle(opportunities, START, END, END)
    return next(r for r in rows if (r.deal_type, r.outcome) == ("all", "won"))


def test_real_data_cycle_and_average_won_deal_equal_pandas(db, both):
    facts = load_facts(db_session=db, loaded_at=END)
    deals = facts.opportunities
    olist = _won_cycle(deals.filter(source="olist"))
    expected = _olist_cycles()
    assert (olist.count, olist.unknown) == (len(expected), 0) == (842, 0)
    # Microsecond timestamps against pandas' nanoseconds: equal to well under a second.
    assert olist.median_days == pytest.approx(expected.median(), abs=1e-5)
    together = _won_cycle(deals)
    combined = pd.concat([expected, _maven_won_cycles()])
    assert together.count == len(combined)
    assert together.median_days == pytest.approx(combined.median(), abs=1e-5)
    assert together.median_days > 0  # an import-time creation date made it negative

    maven = _maven()
    won_values = maven.loc[maven["deal_stage"] == "Won", "close_value"]
    at = Window(START.date(), END.date(), END)
    new = next(t for t in deal_tables.deal_types(engine_for(facts), at, {}) if t.deal_type == "new")
    assert (new.won, new.unknown_amount) == (len(won_values) + 842, 842)
    assert new.average_won == pytest.approx(won_values.mean())  # 2,360.9, not 1,969.6
    assert new.won_amount == pytest.approx(won_values.sum())
    # Maven's Prospecting deals have no creation date: never "created" in any range.
    prospecting = int((maven["deal_stage"] == "Prospecting").sum())
    assert deals.filter(source="maven-crm")["created_at"].null_count() == prospecting == 500


def test_real_data_reports_name_the_unknown_and_derived_values(both):
    olist, maven = both["olist"], both["maven-crm"]
    assert report.value_counts(olist) == {
        "unknown": {"amount": 842},
        "derived": {"created_at": 842},
    }
    lines = report.note_lines(olist)
    assert lines[:2] == [
        "842 deals have no value in the file: left unknown (first at line 2)",
        "842 deals dated by their first contact "
        "(profile rule created_at from first_contact_date; first at line 2)",
    ]
    pipeline_csv = _maven()
    open_deals = pipeline_csv["close_value"].isna()
    assert report.value_counts(maven) == {
        "unknown": {"created_at": int(pipeline_csv["engage_date"].isna().sum())},
        "derived": {
            "created_at": int(pipeline_csv["engage_date"].notna().sum()),
            "amount": int(open_deals.sum()),
        },
    }
    assert "500 deals have no creation date in the file: left unknown" in "\n".join(
        report.note_lines(maven)
    )
