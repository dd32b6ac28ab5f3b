"""Dashboards over HTTP on both databases: HTML and JSON from the same view-model."""

import json
import re

import pytest

from tests.analytics.conftest import seed_world

RANGE = "start=2026-06-01&end=2026-12-01"


@pytest.mark.parametrize("page", ["funnel", "velocity", "pipeline", "handoff", "revenue"])
def test_every_dashboard_renders_and_has_a_json_twin(as_cro, db, page):
    seed_world(db)
    html = as_cro.get(f"/analytics/{page}?{RANGE}")
    assert html.status_code == 200, html.text[:500]
    assert 'type="application/json" id="chart-data"' in html.text
    assert "/vendor/plotly/plotly.min.js" in html.text
    data = as_cro.get(f"/api/v1/analytics/{page}?{RANGE}").json()
    assert data["filters"]["start"] == "2026-06-01"
    charts = json.loads(re.search(r'id="chart-data">(.*?)</script>', html.text, re.S)[1])
    assert all(c["series"] for c in charts)


def test_funnel_numbers_match_the_seeded_histories(as_cro, db):
    seed_world(db)
    data = as_cro.get(f"/api/v1/analytics/funnel?{RANGE}").json()
    totals = {t["stage"]: t["contacts"] for t in data["totals"]}
    assert totals == {
        "subscriber": 5,
        "lead": 5,
        "mql": 4,
        "sal": 3,
        "sql": 2,
        "opportunity": 1,
        "customer": 1,
    }
    conv = {(c["from_stage"], c["to_stage"]): c["rate"] for c in data["conversions"]}
    assert conv[("mql", "sal")] == 0.75
    by = {r["value"]: r["stages"]["mql"] for r in data["breakdown"]}
    assert by == {"paid_search": 2, "organic_search": 2}
    segment = as_cro.get(f"/api/v1/analytics/funnel?{RANGE}&segment=smb&by=region").json()
    assert {t["stage"]: t["contacts"] for t in segment["totals"]}["lead"] == 2
    assert [r["value"] for r in segment["breakdown"]] == ["apac"]
    html = as_cro.get(f"/analytics/funnel?{RANGE}").text
    assert "75.0%" in html  # MQL -> SAL conversion in the table


def test_pipeline_win_rate_types_and_regions(as_cro, db):
    seed_world(db)
    data = as_cro.get("/api/v1/analytics/pipeline?start=2026-01-01&end=2026-12-01").json()
    assert data["win_rate"] == pytest.approx(2 / 3) and data["won"] == 2
    assert data["open_amount"] == 8000
    regions = {
        r["value"]: r["won_amount"] for r in data["by_dimension"] if r["dimension"] == "region"
    }
    assert regions == {"emea": 50000, "apac": 5000}
    assert "No bookings target is set" in as_cro.get("/analytics/pipeline").text


def test_unknown_filter_value_is_said_plainly_with_422(as_cro, db):
    seed_world(db)
    response = as_cro.get(f"/analytics/funnel?{RANGE}&region=mars")
    assert response.status_code == 422
    assert "no region called &#39;mars&#39; in this workspace; filter ignored" in response.text
    api = as_cro.get(f"/api/v1/analytics/funnel?{RANGE}&region=mars")
    assert api.status_code == 422 and api.json()["filters"]["issues"]


def test_empty_workspace_says_so_instead_of_drawing_empty_charts(as_cro):
    html = as_cro.get("/analytics/funnel").text
    assert "No contact reached any stage" in html
    assert 'id="chart-data">[]</script>' in html
    pipeline = as_cro.get("/analytics/pipeline").text
    assert "No open deals." in pipeline and "no win rate" in pipeline
    handoff = as_cro.get("/analytics/handoff").text
    assert "not configured" in handoff


def test_unknown_dashboard_is_404_and_json_needs_credentials(as_cro, client):
    assert as_cro.get("/analytics/nope").status_code == 404
    as_cro.cookies.clear()
    assert client.get("/api/v1/analytics/funnel").status_code == 401


def test_plotly_is_served_from_the_installed_package(client):
    response = client.get("/vendor/plotly/plotly.min.js")
    assert response.status_code == 200 and "plotly.js" in response.text[:300]
