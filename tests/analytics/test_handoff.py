"""The handoff dashboard reads the handoff records: SLA clocks, speed to lead, reject codes."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from tandem.analytics.frames import TS
from tandem.analytics.handoff import handoff_stats

T = datetime(2026, 11, 2, 9, tzinfo=UTC)
H = timedelta(hours=1)


def _frame(rows):
    names = [
        "contact_id",
        "mql_at",
        "accept_due_at",
        "first_touch_due_at",
        "accepted_at",
        "rejected_at",
        "first_touch_at",
        "reject_code",
    ]
    schema = {
        n: (pl.Int64 if n == "contact_id" else pl.String if n == "reject_code" else TS)
        for n in names
    }
    return pl.DataFrame(
        [dict(zip(names, r, strict=True)) for r in rows], schema=schema, orient="row"
    )


def test_clocks_met_missed_and_still_running():
    rows = [
        # accepted in 2h (due 4h), touched in 3h (due 8h): both met
        (1, T, T + 4 * H, T + 8 * H, T + 2 * H, None, T + 3 * H, None),
        # rejected late (due 4h, answered 6h), never touched, first-touch due passed: both missed
        (2, T, T + 4 * H, T + 8 * H, None, T + 6 * H, None, "bad_fit"),
        # clocks still running at as_of: not decided, not counted either way
        (3, T + 100 * H, T + 300 * H, T + 400 * H, None, None, None, None),
    ]
    stats = handoff_stats(_frame(rows), pl.lit(True), T - 24 * H, T + 500 * H, T + 200 * H)
    assert (stats.handed_off, stats.accepted, stats.rejected) == (3, 1, 1)
    assert stats.accept_sla == 0.5 and stats.first_touch_sla == 0.5
    assert [(r.reason, r.contacts) for r in stats.reject_reasons] == [("bad_fit", 1)]


def test_no_handoffs_in_range_gives_no_rates():
    stats = handoff_stats(_frame([]), pl.lit(True), T, T + 24 * H, T + 24 * H)
    assert stats.accept_sla is None and stats.first_touch_sla is None


def test_dashboard_uses_recorded_handoffs(as_cro, db):
    handoff_models = pytest.importorskip("tandem.handoff.models")
    from tests import factories as f

    person = f.contact(db, lifecycle_stage="sal")
    db.add(
        handoff_models.Handoff(
            contact_id=person.id,
            mql_at=T,
            rule_id="r1",
            route_reason="test",
            clock_started_at=T,
            accept_due_at=T + 4 * H,
            first_touch_due_at=T + 8 * H,
            accepted_at=T + H,
            first_touch_at=T + 10 * H,
            status="accepted",
        )
    )
    db.flush()
    data = as_cro.get("/api/v1/analytics/handoff?start=2026-10-01&end=2026-12-01").json()
    assert data["sla"]["accept_sla"] == 1.0 and data["sla"]["first_touch_sla"] == 0.0
    figures = {f["metric"]: f for f in data["figures"]}
    # Speed to lead runs from the handoff (the clock start) to the first touch: 10 hours.
    assert figures["speed_to_lead_hours"]["value"] == pytest.approx(10, abs=1e-6)
    assert figures["accept_sla"]["value"] == 1.0 and figures["first_touch_sla"]["value"] == 0.0
    html = as_cro.get("/analytics/handoff?start=2026-10-01&end=2026-12-01").text
    assert "SLA clocks of the MQLs handed off" in html and "not configured" not in html
