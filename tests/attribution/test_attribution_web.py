"""The attribution page, the deal retrospective, their JSON twins and the CSV export."""

import csv
import io
import re
from decimal import Decimal

import pytest

from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.csv_export import neutralise, to_csv
from tandem.db import utcnow
from tandem.web.deps import SESSION_COOKIE

from . import world

NOW = world.T0 + 90 * world.DAY


def stored_world(db):
    """The world with its attribution stored, as `tandem attribution run` leaves it."""
    from tandem.attribution import default_config
    from tandem.attribution.store import run_full

    w = world.build(db)
    run_full(db_session=db, config=default_config(), now=NOW)
    return w


@pytest.fixture
def signed_in(client, db):
    """A sales rep's browser session (any signed-in role may read attribution).

    Made directly rather than through /login: hashing and checking a password costs a
    second or more per test, and tests/web covers signing in.
    """
    rep = User(email="rep@example.com", name="Rep", password_hash="!", role=Role.SALES_REP.value)
    db.add(rep)
    db.flush()
    client.cookies.set(
        SESSION_COOKIE, auth.start_session(db_session=db, user=rep, now=utcnow(), hours=1)
    )
    db.flush()
    return client


def test_pages_need_a_signed_in_user(client):
    response = client.get("/attribution", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.get("/api/v1/attribution").status_code == 401


def test_attribution_page_shows_models_side_by_side_with_spread(signed_in, db):
    stored_world(db)
    html = signed_in.get("/attribution?by=channel").text
    assert 'id="attribution-chart"' in html and "<script" not in html.split("<main>")[1]
    header = re.search(r'<table id="breakdown">.*?</thead>', html, re.S).group(0)
    assert all(label in header for label in ("First touch", "W-shaped", "Markov", "Shapley"))
    # Paid search got the first touch of W: 10,000 under first touch, 0 under last touch.
    row = re.search(r"<tr[^>]*>\s*<td>Paid search.*?</tr>", html, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]*)<', row)
    assert cells[2:4] == ["$10,000", "$0"] and "models disagree" in row
    assert re.search(r'id="total">\$12,500<', html) and re.search(
        r'id="unattributed-total">\$2,500<', html
    )
    assert "Other renewal" in html  # the unattributed deal is listed


def test_page_filters_keep_values_and_explain_bad_ones(signed_in, db):
    world.build(db)
    response = signed_in.get("/attribution?basis=pipeline&start=2026-13-40&by=nowhere")
    assert response.status_code == 422
    assert "Start: &#39;2026-13-40&#39; is not a date" in response.text
    assert "By: &#39;nowhere&#39; is not a breakdown" in response.text
    assert 'value="pipeline" selected' in response.text


def test_json_twin_matches_the_page(signed_in, db):
    stored_world(db)
    data = signed_in.get("/api/v1/attribution?segment=enterprise").json()
    assert Decimal(data["total"]) == Decimal("10000.00")
    assert data["filters"]["segment"] == "enterprise" and data["contacts"] == "contact_roles"
    assert [b["dimension"] for b in data["breakdowns"]] == [
        "campaign", "channel", "asset", "team", "source",
    ]  # fmt: skip
    assert signed_in.get("/api/v1/attribution?end=soon").status_code == 422


def test_csv_export_neutralises_formulas_and_reconciles(signed_in, db):
    w = stored_world(db)
    w.ads.name = '=HYPERLINK("http://evil.example","x")'
    w.webinar.name = "@SUM(A1)"
    db.flush()
    response = signed_in.get("/api/v1/attribution/export.csv?by=campaign")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    labels = {r["label"] for r in rows}
    assert '\'=HYPERLINK("http://evil.example","x")' in labels and "'@SUM(A1)" in labels
    assert sum(Decimal(r["linear"]) for r in rows) == Decimal("12500.00")  # incl. unattributed
    roi = list(csv.DictReader(io.StringIO(signed_in.get(
        "/api/v1/attribution/export.csv?by=roi").text)))  # fmt: skip
    assert {r["roi_first_touch"] for r in roi if r["name"].startswith("'=")} == {"20.0000"}
    assert signed_in.get("/api/v1/attribution/export.csv?by=colour").status_code == 422


def test_csv_helper_leaves_numbers_alone():
    assert [neutralise(v) for v in ("+1", "-x", "\tcmd", "plain", -5, Decimal("-1.5"))] == [
        "'+1", "'-x", "'\tcmd", "plain", -5, Decimal("-1.5"),
    ]  # fmt: skip
    assert to_csv(["a", "b"], [["=1", None]]) == "a,b\n'=1,\n"


def credits_by_row(html):
    table = re.search(r'<table id="retrospective">.*?</table>', html, re.S).group(0)
    body, foot = table.split("<tfoot>")
    rows = re.findall(r'data-activity="(\d+)">(.*?)</tr>', body, re.S)
    return rows, foot


def test_retrospective_lists_every_touch_in_order_with_credits_summing_to_the_amount(signed_in, db):
    w = world.build(db)
    html = signed_in.get(f"/opportunities/{w.won.id}/retrospective").text
    rows, foot = credits_by_row(html)
    order = [int(a) for a, _ in rows]
    assert order == [w.acts[k] for k in ("a2", "a3", "a4", "a5", "a6")]  # both teams, in time
    events = re.findall(r'<tr class="attr-event"><td>[^<]*</td><td[^>]*>([^<]*)<', html)
    assert events == ["Became MQL", "Opportunity created", "Closed won"]
    first_touch = [re.findall(r'<td class="num credit">([^<]*)<', cells)[0] for _, cells in rows]
    assert first_touch == ["10,000.00", "0.00", "0.00", "0.00", "—"]  # a6 is after creation
    assert "Lead creation" in rows[2][1] and "Opportunity creation" in rows[3][1]
    assert re.findall(r'data-model="[a-z_]+">([^<]*)<', foot) == ["10,000.00"] * 9

    data = signed_in.get(f"/api/v1/attribution/opportunities/{w.won.id}").json()
    credited = [e for e in data["events"] if e["in_window"]]
    for model in (m["name"] for m in data["models"]):
        assert sum(Decimal(e["credits"][model]) for e in credited) == Decimal("10000.00")
    times = [e["occurred_at"] for e in data["events"]]
    assert times == sorted(times)


def test_retrospective_of_a_lost_deal_and_of_an_untouched_one(signed_in, db):
    w = world.build(db)
    lost = signed_in.get(f"/api/v1/attribution/opportunities/{w.lost.id}").json()
    assert lost["outcome"] == "lost" and lost["basis"] == "pipeline"
    assert set(lost["totals"].values()) == {"5000.00"}
    bare = signed_in.get(f"/opportunities/{w.bare.id}/retrospective").text
    assert "reported as unattributed" in bare
    assert signed_in.get("/opportunities/999999/retrospective").status_code == 404
    assert signed_in.get("/api/v1/attribution/opportunities/999999").status_code == 404


def test_page_says_not_computed_yet_and_shows_no_number(signed_in, db):
    world.build(db)
    html = signed_in.get("/attribution").text
    assert 'id="not-computed"' in html and "run <code>tandem attribution run</code>" in html
    assert 'id="total"' not in html and 'id="attribution-chart"' not in html
    data = signed_in.get("/api/v1/attribution").json()
    assert data["source"] == "none" and data["models"] == [] and data["attributed"] == {}
    # Pipeline created is not stored: it is computed for the request, and says so.
    pipeline = signed_in.get("/attribution?basis=pipeline").text
    assert 'id="computed-now"' in pipeline and 'id="total">$17,500<' in pipeline


def test_stored_report_equals_the_report_computed_now(signed_in, db):
    from tandem.attribution import default_config
    from tandem.attribution.report import build_report
    from tandem.attribution.schemas import AttributionFilters

    stored_world(db)
    for filters in (AttributionFilters(), AttributionFilters(segment="enterprise")):
        kept = build_report(db_session=db, filters=filters, config=default_config(), stored=True)
        now = build_report(db_session=db, filters=filters, config=default_config())
        assert kept.source == "stored" and now.source == "computed"
        fields = ("total", "attributed", "unattributed_total", "unattributed", "breakdowns",
                  "roi", "opportunities", "learning_only", "models")  # fmt: skip
        for field in fields:
            assert getattr(kept, field) == getattr(now, field), field
    html = signed_in.get("/attribution").text
    assert 'id="stored-run"' in html and "not-computed-deals" not in html


def test_deals_won_after_the_run_are_named_not_counted(signed_in, db):
    w = stored_world(db)
    w.bare.amount = Decimal("3000")  # changed since the run
    db.flush()
    data = signed_in.get("/api/v1/attribution").json()
    assert [d["name"] for d in data["not_computed"]] == ["Other renewal"]
    assert Decimal(data["total"]) == Decimal("10000.00")  # the stored, still current deal only
    html = signed_in.get("/attribution").text
    assert "tandem attribution run --changed" in html
