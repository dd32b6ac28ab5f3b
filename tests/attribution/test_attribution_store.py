"""From real rows to touchpoints: the window, the milestones, the contact scope, the channel."""

from datetime import date
from importlib import resources

import polars as pl
import pytest

from tandem.attribution import default_config, parse_config
from tandem.attribution.schemas import AttributionFilters
from tandem.attribution.service import parse_filters, run_attribution

from . import world

DEFAULT_YAML = resources.files("tandem.attribution").joinpath("default.yaml").read_text("utf-8")


def touches_of(run, opportunity_id):
    frame = run.touches.filter(run.touches["opportunity_id"] == opportunity_id)
    return {row["activity_id"]: row for row in frame.sort("occurred_at").iter_rows(named=True)}


def names(w, ids):
    by_id = {v: k for k, v in w.acts.items()}
    return [by_id[i] for i in ids]


def milestones(row):
    bits = ("first_touch", "lead_creation", "opportunity_creation", "close")
    return {name for k, name in enumerate(bits) if row["milestones"] & (1 << k)}


def test_contact_roles_window_and_milestones_from_real_rows(db):
    w = world.build(db)
    run = run_attribution(db_session=db, filters=AttributionFilters(), config=default_config())
    touches = touches_of(run, w.won.id)
    assert names(w, touches) == ["a2", "a3", "a4", "a5"]  # a1 too early, a6 after, c1 no role
    rows = list(touches.values())
    assert [milestones(r) for r in rows] == [
        {"first_touch"},
        set(),
        {"lead_creation"},  # ann became MQL the day after
        {"opportunity_creation"},
    ]
    # No activity channel: the campaign's channel. Team from the activity type registry.
    assert rows[1]["channel"] == "webinar" and rows[1]["campaign_id"] == w.webinar.id
    assert [r["team"] for r in rows] == ["marketing", "marketing", "marketing", "sales"]
    deal = run.deals.filter(run.deals["opportunity_id"] == w.won.id).row(0, named=True)
    assert deal["mql_at"] == world.T0 - 19 * world.DAY  # bob's MQL 400 days ago is not this deal's
    assert (
        deal["converted"]
        and not run.deals.filter(run.deals["opportunity_id"] == w.lost.id)["converted"][0]
    )


def test_whole_account_scope_adds_the_accounts_other_contacts(db):
    w = world.build(db)
    run = run_attribution(
        db_session=db, filters=AttributionFilters(contacts="account"), config=default_config()
    )
    assert names(w, touches_of(run, w.won.id)) == ["a2", "a3", "a4", "c1", "a5"]
    assert run.scope == "account"


def test_until_close_counts_touches_to_the_close_and_marks_it(db):
    w = world.build(db)
    config = parse_config(DEFAULT_YAML.replace("until_close: false", "until_close: true"))
    run = run_attribution(db_session=db, filters=AttributionFilters(), config=config)
    touches = touches_of(run, w.won.id)
    assert names(w, touches) == ["a2", "a3", "a4", "a5", "a6"]
    assert milestones(touches[w.acts["a6"]]) == {"close"}


def test_deal_without_touches_is_kept_and_never_credited(db):
    w = world.build(db)
    run = run_attribution(db_session=db, filters=AttributionFilters(), config=default_config())
    assert w.bare.id in run.deals["opportunity_id"].to_list()
    assert w.bare.id not in run.result.credits["opportunity_id"].to_list()
    assert run.result.unattributed_cents == 250_000
    credits = run.result.credits
    for model in run.result.models:
        assert credits[model].sum() == 1_000_000  # W's amount; L is lost, N has no touch


def test_pipeline_basis_credits_every_opportunity(db):
    w = world.build(db)
    run = run_attribution(
        db_session=db, filters=AttributionFilters(basis="pipeline"), config=default_config()
    )
    per_deal = run.result.credits.group_by("opportunity_id").agg(pl.col("linear").sum())
    assert dict(per_deal.iter_rows()) == {w.won.id: 1_000_000, w.lost.id: 500_000}


@pytest.mark.parametrize(
    ("raw", "field", "kept"),
    [
        ({"basis": "revenue"}, "basis", AttributionFilters()),
        ({"start": "2026-13-01"}, "start", AttributionFilters()),
        (
            {"start": "2026-03-02", "end": "2026-03-01"},
            "end",
            AttributionFilters(start=date(2026, 3, 2)),
        ),
        ({"contacts": "everyone"}, "contacts", AttributionFilters()),
    ],
)
def test_bad_filters_are_dropped_and_named(raw, field, kept):
    filters, errors = parse_filters(**raw)
    assert list(errors) == [field]
    assert filters == kept
