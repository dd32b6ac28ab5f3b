"""One number everywhere: every page that shows a figure under a metric's name, window and
filters shows the same value, the API and the metric's own page agree, and the records behind
it are exactly as many as the figure says."""

import html
import json
import re
from collections import defaultdict

import pytest

from tests.analytics.conftest import seed_world
from tests.web.test_pages import login

RANGE = "start=2026-06-01&end=2026-12-01"
PAGES = [
    "/",
    *(f"/analytics/{p}?{RANGE}" for p in ("funnel", "velocity", "pipeline", "handoff", "revenue")),
    *(f"/analytics/{p}?{RANGE}&segment=enterprise" for p in ("funnel", "pipeline", "revenue")),
    "/attribution?start=2026-06-01&end=2026-11-30",
    "/reports/weekly?week=2026-W47",
    "/analytics/revenue?start=2026-11-16&end=2026-11-23",  # the review's week
]
TILE = re.compile(r'<div class="tile figure" (data-metric="[^>]*)>')
ATTR = re.compile(r'data-(\w+)="([^"]*)"')


def tiles(text: str) -> list[dict[str, str]]:
    """Every registry figure tile on a page, by its data attributes."""
    return [{k: html.unescape(v) for k, v in ATTR.findall(match)} for match in TILE.findall(text)]


def test_a_figure_reads_the_same_everywhere(as_cro, db):
    seed_world(db)
    seen: dict[tuple, set[str]] = defaultdict(set)
    where: dict[tuple, list[str]] = defaultdict(list)
    for page in PAGES:
        response = as_cro.get(page)
        assert response.status_code == 200, (page, response.text[:300])
        found = tiles(response.text)
        assert found, f"{page} shows no registry figure"
        for t in found:
            key = (t["metric"], t["window"], t["filters"])
            seen[key].add(t["value"])
            where[key].append(page)
    # The same metric, window and filters appear on several pages...
    shared = [k for k, pages in where.items() if len(set(pages)) > 1]
    assert {k[0] for k in shared} >= {"reached_mql", "revenue_won", "open_pipeline", "open_deals"}
    assert ("revenue_won", "2026-11-16 to 2026-11-22", "{}") in shared  # review and dashboard
    # ...and read the same value on each.
    assert {k: v for k, v in seen.items() if len(v) > 1} == {}

    # The metric's page, its API and its records agree with the tiles.
    for (metric, window, filters), values in seen.items():
        if not window[:4].isdigit():
            continue  # "as of <minute>": read at the moment, compared above only
        first, last = window.split(" to ")
        params = [("from", first), ("to", last)]
        params += [("filter", f"{k}={v}") for k, v in json.loads(filters).items()]
        api = as_cro.get(f"/api/v1/metrics/{metric}", params=params).json()
        value = "" if api["value"] is None else str(api["value"])
        assert {value} == values, (metric, window, filters)
        own = tiles(as_cro.get(f"/metrics/{metric}", params=params).text)
        assert [t["value"] for t in own] == [value]
        listed = as_cro.get(api["records_url"]).text
        total = re.search(r'data-total="(\d+)"', listed)[1]
        assert int(total) == api["rows"], (metric, window)


def test_hand_checked_figures(as_cro, db):
    seed_world(db)
    window = [("from", "2026-06-01"), ("to", "2026-11-30")]

    def value(name, *more):
        return as_cro.get(f"/api/v1/metrics/{name}", params=window + list(more)).json()

    assert value("reached_mql")["value"] == 4
    assert value("conversion_mql_to_sal")["value"] == 0.75
    assert value("revenue_won")["value"] == 55000 and value("deals_won")["value"] == 2
    assert value("win_rate")["value"] == pytest.approx(2 / 3)
    assert value("open_pipeline")["value"] == 8000
    assert value("revenue_won", ("filter", "region=emea"))["value"] == 50000
    by = value("reached_mql", ("by", "channel"))["breakdown"]
    assert {p["value"]: p["figure"] for p in by} == {"paid_search": 2, "organic_search": 2}
    assert value("acceptance_rate")["value"] == pytest.approx(3 / 4)


def test_bad_input_over_http_names_the_allowed_values(as_cro, db, monkeypatch):
    from tandem.metrics import web

    seed_world(db)
    monkeypatch.setattr(web, "MAX_CSV_ROWS", 4)
    big = as_cro.get("/metrics/reached_lead/records.csv?from=2026-06-01&to=2026-11-30")
    assert big.status_code == 422 and "5 records: a CSV from the web takes at most 4" in big.text
    assert "tandem metrics records reached_lead" in big.text
    missing = as_cro.get("/api/v1/metrics/reached_mq")
    assert missing.status_code == 404 and "did you mean reached_mql" in missing.json()["detail"]
    dim = as_cro.get("/api/v1/metrics/reached_mql?by=colour")
    assert dim.status_code == 422 and "allowed: segment, region" in dim.json()["detail"]
    value = as_cro.get("/api/v1/metrics/reached_mql?filter=channel%3Dfax")
    assert value.status_code == 422 and "paid_search" in value.json()["detail"]
    window = as_cro.get("/api/v1/metrics/reached_mql?from=2026-05-01&to=2026-04-01")
    assert window.status_code == 422 and "before it starts" in window.json()["detail"]
    shape = as_cro.get("/api/v1/metrics/reached_mql?filter=channel")
    assert shape.status_code == 422 and "DIMENSION=VALUE" in shape.json()["detail"]
    page = as_cro.get("/metrics/reached_mql?by=colour")
    assert page.status_code == 422 and "allowed: segment" in page.text


def test_a_rep_sees_the_whole_list_but_only_names_the_records_they_may_open(client, db):
    from tandem.auth.roles import Role
    from tests import factories as f

    world = seed_world(db)
    rep = f.user(db, role=Role.SALES_REP, name="Rae Rep")
    other = f.user(db, role=Role.SALES_REP, name="Olu Rep")
    for i, person in enumerate(world["people"]):
        person.owner_id = rep.id if i == 0 else other.id
    db.flush()
    assert login(client, rep.email).status_code == 303
    url = "/metrics/reached_lead/records?from=2026-06-01&to=2026-11-30"
    text = client.get(url).text
    assert 'data-total="5"' in text
    assert text.count("not yours") == 4
    assert f'href="/contacts/{world["people"][0].id}"' in text
    csv = client.get(url.replace("/records?", "/records.csv?")).text.splitlines()
    assert len(csv) == 6 and sum(1 for line in csv[1:] if line.startswith(",")) == 4
    # A colleague's deal is in the list (the count is the figure) but shows its id alone.
    for deal in world["deals"]:
        deal.owner_id = other.id
    world["deals"][0].owner_id = rep.id
    db.flush()
    won = client.get(
        "/api/v1/metrics/revenue_won/records", params={"from": "2026-06-01", "to": "2026-11-30"}
    ).json()
    amounts = {row[1]: row[won["columns"].index("amount")] for row in won["rows"]}
    assert won["total"] == 2
    assert amounts == {world["deals"][0].id: 50000.0, world["deals"][2].id: None}


def test_the_metric_page_filters_by_any_value_and_removes_a_filter(as_cro, db):
    seed_world(db)
    window = "from=2026-06-01&to=2026-11-30"
    page = as_cro.get(f"/metrics/reached_mql?{window}&filter=").text
    assert '<option value="channel=paid_search">paid_search</option>' in page
    assert '<option value="region=emea">emea</option>' in page
    only = as_cro.get(f"/metrics/reached_mql?{window}&filter=channel%3Dpaid_search").text
    [tile] = tiles(only)
    assert tile["value"] == "2.0" and json.loads(tile["filters"]) == {"channel": "paid_search"}
    assert (
        'value="channel=paid_search"' not in only.split('id="add-filter"')[1].split("</select>")[0]
    )
    remove = re.search(r'<a href="([^"]+)" title="Remove this filter">', only)[1]
    assert tiles(as_cro.get(html.unescape(remove)).text)[0]["value"] == "4.0"
