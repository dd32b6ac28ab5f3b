"""Stored attribution: a run writes credits per deal, touch and model; the refresh re-credits the
deals that changed; every stored deal's credits add up to its amount under every model."""

from datetime import timedelta
from decimal import Decimal

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tandem.attribution import default_config
from tandem.attribution.models import AttributedOpportunity, AttributionCredit, AttributionRunRecord
from tandem.attribution.store import (
    changed_deals,
    latest_run,
    refresh_changed,
    run_full,
    stored_credits,
)
from tests import factories as f
from tests.factories import T0

from . import world

NOW = T0 + timedelta(days=90)
CHANNELS = ["paid_search", "webinar", "email", "organic_search", "sales_outreach", "direct"]
TYPES = ["ad_click", "webinar_attend", "email_click", "content_download", "sales_call"]


def stored(db) -> pl.DataFrame:
    rows = db.execute(
        select(
            AttributionCredit.opportunity_id,
            AttributionCredit.model,
            AttributionCredit.activity_id,
            AttributionCredit.channel,
            AttributionCredit.campaign_id,
            AttributionCredit.credit_cents,
        )
    ).all()
    schema = ["opportunity_id", "model", "activity_id", "channel", "campaign_id", "cents"]
    return pl.DataFrame(rows, schema=schema, orient="row")


def amounts(db) -> dict[int, int]:
    return dict(
        db.execute(
            select(AttributedOpportunity.opportunity_id, AttributedOpportunity.amount_cents)
        ).all()
    )


def sums(frame: pl.DataFrame) -> dict[tuple[int, str], int]:
    grouped = frame.group_by("opportunity_id", "model").agg(pl.col("cents").sum())
    return {(o, m): c for o, m, c in grouped.iter_rows()}


def test_nothing_stored_yet(db):
    world.build(db)
    assert latest_run(db) is None and stored_credits(db) is None
    assert refresh_changed(db_session=db, now=NOW) is None


def test_full_run_stores_every_model_with_its_time_and_config(db):
    w = world.build(db)
    summary = run_full(db_session=db, config=default_config(), now=NOW)
    run = latest_run(db)
    assert run.id == summary.run_id and run.kind == "full" and run.finished_at == NOW
    assert run.config["window"]["lookback_days"] == 180 and run.config_version == "2025.1"
    assert set(run.models) >= {"first_touch", "linear", "w_shaped", "markov", "shapley"}
    assert set(run.shares) == {"markov", "shapley"}
    # The won deal's four touches under every model; the touchless won deal is unattributed.
    assert amounts(db) == {w.won.id: 1_000_000, w.bare.id: 250_000}
    assert summary.unattributed_cents == 250_000 and summary.opportunities == 2
    credits = stored(db)
    assert credits.height == 4 * len(run.models) == summary.credits
    assert set(credits["opportunity_id"]) == {w.won.id}
    assert all(c == 1_000_000 for c in sums(credits).values())
    first = credits.filter(pl.col("model") == "first_touch", pl.col("cents") > 0)
    assert first.rows() == [(w.won.id, "first_touch", w.acts["a2"], "paid_search", w.ads.id,
                             1_000_000)]  # fmt: skip
    # Read back for the scorecard: per deal, model, campaign and channel.
    read = stored_credits(db)
    assert read.run_id == run.id and read.models == tuple(run.models)
    assert read.model == "w_shaped" and read.credits["cents"].sum() == 1_000_000
    linear = stored_credits(db, "linear")
    assert linear.model == "linear" and set(linear.credits["model"]) == {"linear"}
    assert linear.credits["cents"].sum() == 1_000_000
    assert stored_credits(db, "no_such_model").model == "w_shaped"
    assert dict(zip(read.deals["opportunity_id"], read.deals["touches"], strict=True)) == {
        w.won.id: 4,
        w.bare.id: 0,
    }


def test_only_the_models_asked_for(db):
    world.build(db)
    run_full(db_session=db, config=default_config(), now=NOW, models=["linear", "u_shaped"])
    assert set(stored(db)["model"]) == {"linear", "u_shaped"}
    assert latest_run(db).models == ["linear", "u_shaped"]


def test_refresh_recredits_changed_deals_and_drops_deals_no_longer_won(db):
    w = world.build(db)
    run_full(db_session=db, config=default_config(), now=NOW)
    before = stored(db)
    assert changed_deals(db) == ([], [])
    w.won.amount = Decimal("12000")  # the deal grew
    w.lost.is_won, w.lost.stage = True, "closed_won"  # reopened and won after all
    w.bare.is_won, w.bare.stage = False, "closed_lost"
    db.flush()
    assert changed_deals(db) == (sorted([w.won.id, w.lost.id]), [w.bare.id])
    summary = refresh_changed(db_session=db, now=NOW + timedelta(hours=1))
    assert summary.kind == "incremental" and summary.removed == 1
    assert latest_run(db).kind == "incremental"
    assert amounts(db) == {w.won.id: 1_200_000, w.lost.id: 500_000}
    after = stored(db)
    assert all(c == amounts(db)[o] for (o, _), c in sums(after).items())
    # Position models re-credit exactly as a full run would; the shares are re-learned in full.
    linear = after.filter(pl.col("model") == "linear", pl.col("opportunity_id") == w.won.id)
    assert linear["cents"].to_list() == [300_000] * 4
    assert before.filter(pl.col("opportunity_id") == w.won.id).height == 4 * len(
        set(before["model"])
    )
    assert changed_deals(db) == ([], [])
    runs = db.scalar(select(func.count()).select_from(AttributionRunRecord))
    assert refresh_changed(db_session=db, now=NOW).credits == 0  # nothing changed: no work
    assert db.scalar(select(func.count()).select_from(AttributionRunRecord)) == runs


@st.composite
def deals(draw):
    n = draw(st.integers(1, 5))
    out = []
    for _ in range(n):
        touches = draw(
            st.lists(
                st.tuples(st.integers(0, 170), st.sampled_from(CHANNELS), st.sampled_from(TYPES)),
                max_size=7,
            )
        )
        cents = draw(st.integers(1, 10**9))
        won = draw(st.booleans())
        out.append((touches, cents, won))
    return out


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(generated=deals())
def test_stored_credits_sum_to_each_deals_amount(db, generated):
    nested = db.begin_nested()
    try:
        account = f.account(db)
        expected = {}
        for touches, cents, won in generated:
            person = f.contact(db, account_id=account.id)
            for days, channel, kind in touches:
                f.activity(db, person, kind, T0 - timedelta(days=days, seconds=7), channel=channel)
            deal = f.opportunity(
                db, account, amount=Decimal(cents) / 100, created_at=T0,
                closed_at=T0 + timedelta(days=10), is_closed=True, is_won=won,
                stage="closed_won" if won else "closed_lost", contacts=[(person, "champion")],
            )  # fmt: skip
            if won:
                expected[deal.id] = (cents, len(touches))
        summary = run_full(db_session=db, config=default_config(), now=NOW)
        models = latest_run(db).models
        assert amounts(db) == {k: c for k, (c, _) in expected.items()}
        got = sums(stored(db))
        for deal_id, (cents, touches) in expected.items():
            for model in models:
                assert got.get((deal_id, model), 0) == (cents if touches else 0), (deal_id, model)
        unattributed = sum(c for c, t in expected.values() if not t)
        assert summary.unattributed_cents == unattributed
        count = db.scalar(select(func.count()).select_from(AttributionCredit))
        assert count == sum(t for _, t in expected.values()) * len(models)
        assert db.scalar(select(func.count()).select_from(AttributionRunRecord)) >= 1
    finally:
        nested.rollback()


def test_refresh_of_a_deal_without_touches(db):
    w = world.build(db)
    run_full(db_session=db, config=default_config(), now=NOW)
    w.bare.amount = Decimal("2600")
    db.flush()
    summary = refresh_changed(db_session=db, now=NOW)
    assert (summary.opportunities, summary.credits, summary.unattributed_cents) == (1, 0, 260_000)
    assert amounts(db)[w.bare.id] == 260_000
    assert all(c == 1_000_000 for c in sums(stored(db)).values())


def test_warm_reads_the_stored_results_into_memory(db):
    from tandem.attribution import store

    world.build(db)
    store.warm(db_session=db)  # nothing stored: nothing to read
    run_full(db_session=db, config=default_config(), now=NOW)
    store.warm(db_session=db)
    token = latest_run(db).token
    names = {name for (_, name), (t, _) in store._frames.items() if t == token}
    assert any(n.startswith("wide|") for n in names) and "campaign_touches" in names
    assert latest_run(db).stage_counts["lookback_days"] == 180  # the ROI counts: stored


def test_the_first_page_after_a_run_reads_what_the_run_stored(db, monkeypatch):
    from tandem.attribution import lookups, service
    from tandem.attribution.report import build_report
    from tandem.attribution.schemas import AttributionFilters

    w = world.build(db)
    config = default_config()
    run_full(db_session=db, config=config, now=NOW)
    counted = lookups.stage_counts(db.connection(), AttributionFilters(), lookback_days=180)
    calls = {"engine": 0, "stage_counts": 0}

    def counting(name, real):
        def call(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(service, "run_attribution", counting("engine", service.run_attribution))
    monkeypatch.setattr(lookups, "stage_counts", counting("stage_counts", lookups.stage_counts))
    report = build_report(db_session=db, filters=AttributionFilters(), config=config, stored=True)
    assert calls == {"engine": 0, "stage_counts": 0}  # nothing recomputed
    assert report.opportunities == 2
    assert report.attributed["linear"] == report.total - Decimal("2500.00")  # the bare deal
    # The stored ROI counts are the ones counting now gives: the webinar and the ads campaign.
    assert counted.sort("campaign_id").rows() == [
        tuple(r) for r in latest_run(db).stage_counts["rows"]
    ]
    assert w.won.id in set(report_deals(db))


def report_deals(db) -> list[int]:
    return list(amounts(db))


def snapshot_matches_rows(db) -> None:
    """The latest run's snapshot holds exactly the stored rows: credits and campaign touches."""
    from tandem.attribution.models import AttributionCampaignTouch
    from tandem.attribution.store import load_snapshot

    credits, touched = load_snapshot(db, latest_run(db))
    models = latest_run(db, kind="full").models
    rows = stored(db).pivot(on="model", index=["opportunity_id", "activity_id"], values="cents")
    key = ["opportunity_id", "activity_id"]
    assert (
        credits.select(*key, *models).sort(key).rows()
        == rows.select(*key, *models).sort(key).rows()
    )
    pairs = db.execute(
        select(AttributionCampaignTouch.opportunity_id, AttributionCampaignTouch.campaign_id)
    ).all()
    assert sorted(touched.rows()) == sorted(tuple(p) for p in pairs)


def test_a_run_keeps_a_snapshot_equal_to_its_rows_and_the_refresh_keeps_it_current(db):
    from tandem.attribution.models import AttributionSnapshot

    w = world.build(db)
    run_full(db_session=db, config=default_config(), now=NOW)
    snapshot_matches_rows(db)
    w.won.amount = Decimal("12000")
    w.lost.is_won, w.lost.stage = True, "closed_won"
    w.bare.is_won, w.bare.stage = False, "closed_lost"
    db.flush()
    refresh_changed(db_session=db, now=NOW + timedelta(hours=1))
    snapshot_matches_rows(db)
    # Only the latest run keeps one.
    assert db.scalars(select(AttributionSnapshot.run_id)).all() == [latest_run(db).id]


def test_the_first_page_after_a_run_reads_no_credit_row(db):
    from sqlalchemy import event

    from tandem.attribution import store
    from tandem.attribution.report import build_report
    from tandem.attribution.schemas import AttributionFilters

    world.build(db)
    config = default_config()
    run_full(db_session=db, config=config, now=NOW)
    store._frames.clear()  # a fresh process: nothing in memory
    statements: list[str] = []
    engine = db.connection().engine

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        report = build_report(
            db_session=db, filters=AttributionFilters(), config=config, stored=True
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert report.opportunities == 2 and report.source == "stored"
    assert not [s for s in statements if "attribution_credits" in s]
    assert not [s for s in statements if "attribution_campaign_touches" in s]
