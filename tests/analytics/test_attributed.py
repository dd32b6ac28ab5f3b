"""The revenue dashboard reads the stored attribution: by campaign and channel, one model at a
time; before any run it says "not computed yet" and shows no number in its place."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl

from tandem.analytics.attributed import attributed, pick_model
from tandem.attribution import default_config
from tandem.attribution.store import run_full
from tests import factories as f
from tests.attribution import world
from tests.factories import T0

RANGE = "start=2026-01-01&end=2026-12-01"


def test_not_computed_yet_is_said_plainly(as_cro, db):
    world.build(db)
    data = as_cro.get(f"/api/v1/analytics/revenue?{RANGE}").json()
    assert data["attribution_model"] is None and data["by_channel"] == []
    assert data["attributed"] is None
    assert any("not computed yet — run `tandem attribution run`" in n["message"]
               for n in data["notices"])  # fmt: skip
    html = as_cro.get(f"/analytics/revenue?{RANGE}").text
    assert "Not computed yet — run `tandem attribution run`." in html


def test_revenue_dashboard_reads_the_stored_credits(as_cro, db):
    w = world.build(db)
    run_full(db_session=db, config=default_config(), now=T0 + timedelta(days=90))
    data = as_cro.get(f"/api/v1/analytics/revenue?{RANGE}").json()
    assert data["attribution_model"] == "w_shaped" and "markov" in data["attribution_models"]
    assert data["attributed"] == 10000 and data["unattributed"] == 2500
    assert sum(r["revenue"] for r in data["by_channel"]) == 10000
    assert {r["key"] for r in data["by_campaign"]} == {"Search ads", "Spring webinar",
                                                      "(no campaign)"}  # fmt: skip
    first = as_cro.get(f"/api/v1/analytics/revenue?{RANGE}&model=first_touch").json()
    assert first["by_channel"] == [{"key": "paid_search", "revenue": 10000.0, "deals": 1}]
    assert first["by_campaign"] == [{"key": "Search ads", "revenue": 10000.0, "deals": 1}]
    html = as_cro.get(f"/analytics/revenue?{RANGE}").text
    assert "Attributed revenue by channel · W-shaped model, computed" in html
    assert 'id="revenue-by-channel"' in html
    # A filter narrows the deals credited: the touchless smb deal is all there is.
    smb = as_cro.get(f"/api/v1/analytics/revenue?{RANGE}&segment=smb").json()
    assert smb["attributed"] == 0 and smb["unattributed"] == 2500
    # A deal won after the run is not in the stored figures, and the page says so.
    f.opportunity(
        db, f.account(db), amount=Decimal("700"), created_at=T0, closed_at=T0 + 3 * world.DAY,
        is_closed=True, is_won=True, stage="closed_won",
    )  # fmt: skip
    later = as_cro.get(f"/api/v1/analytics/revenue?{RANGE}").json()
    assert later["not_computed_deals"] == 1 and later["attributed"] == 10000
    assert any("tandem attribution run --changed" in n["message"] for n in later["notices"])
    assert w.won.id


def test_attributed_is_pure_and_exact():
    at = datetime(2026, 1, 1, tzinfo=UTC)
    won = pl.DataFrame(
        {
            "opportunity_id": [1, 2, 3, 6, 7],
            "amount": [100.0, 50.0, 7.0, None, 3.0],
            "created_at": [at, at, at, at, None],
        }
    )
    credits = pl.DataFrame(
        {
            "opportunity_id": [1, 1, 2, 9],
            "model": ["linear"] * 4,
            "campaign_id": [5, None, 5, 5],
            "channel": ["email", "direct", "email", "email"],
            "cents": [6000, 4000, 5000, 99],
        }
    )
    deals = pl.DataFrame(
        {"opportunity_id": [1, 2, 4], "amount_cents": [10000, 5000, 300], "touches": [2, 1, 0]}
    )
    got = attributed(won, credits, deals, model="linear", campaign_names={5: "Launch"})
    assert got.attributed == 150 and got.unattributed == 0
    assert [(r.key, r.revenue, r.deals) for r in got.by_campaign] == [
        ("Launch", 110.0, 2),
        ("(no campaign)", 40.0, 1),
    ]
    assert (got.not_computed_deals, got.not_computed_amount) == (1, 7.0)
    # Unknown amount (6) or creation date (7): never credited, counted apart, not "not computed".
    assert got.unknown_deals == 2
    assert pick_model(("linear", "markov"), "markov") == "markov"
    assert pick_model(("linear", "w_shaped"), "nope") == "w_shaped"
    assert pick_model((), None) is None
