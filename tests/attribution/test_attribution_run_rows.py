"""A full run's stored rows are exactly the engine's credits, however they are written (a touch
per statement with the indexes rebuilt on SQLite, COPY on PostgreSQL); the ROI counts it makes
beside the run equal counting them after; a run that fails leaves the last good one whole."""

from datetime import timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, inspect, select

from tandem.attribution import credit_rows, default_config, lookups, stage_counter, store
from tandem.attribution.credit_rows import TOUCH_INDEX, long_credits
from tandem.attribution.models import AttributionCredit
from tandem.attribution.schemas import AttributionFilters
from tandem.attribution.service import run_attribution
from tandem.attribution.store import (
    BY_MODEL,
    latest_run,
    load_snapshot,
    run_full,
    summed_from_rows,
    summed_from_snapshot,
)
from tandem.db import make_session_factory
from tests import factories as f
from tests.factories import T0

from . import world
from .test_attribution_stored import NOW, deals

COLUMNS = ("run_id", *TOUCH_INDEX, "model", "credit_cents")
INDEXES = {"ix_attribution_credits_opportunity_id"}


def stored_rows(db) -> list[tuple]:
    table = AttributionCredit.__table__
    rows = db.execute(select(*(table.c[name] for name in COLUMNS))).all()
    return sorted((tuple(row) for row in rows), key=repr)


def expected_rows(db, run_id: int) -> list[tuple]:
    """The engine's credits for the same deals, made rows the plain way (unpivoted)."""
    run = run_attribution(
        db_session=db, filters=AttributionFilters(basis="won"), config=default_config()
    )
    frame = long_credits(run_id, run.result).select(COLUMNS)
    return sorted(frame.rows(), key=repr)


def credit_indexes(db) -> set[str]:
    return {index["name"] for index in inspect(db.connection()).get_indexes("attribution_credits")}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(generated=deals())
def test_stored_rows_are_the_engines_credits_row_for_row(db, generated):
    nested = db.begin_nested()
    try:
        account = f.account(db)
        for touches, cents, won in generated:
            person = f.contact(db, account_id=account.id)
            for days, channel, kind in touches:
                f.activity(db, person, kind, T0 - timedelta(days=days, seconds=7), channel=channel)
            f.opportunity(
                db, account, amount=Decimal(cents) / 100, created_at=T0,
                closed_at=T0 + timedelta(days=10), is_closed=True, is_won=won,
                stage="closed_won" if won else "closed_lost", contacts=[(person, "champion")],
            )  # fmt: skip
        summary = run_full(db_session=db, config=default_config(), now=NOW)
        rows = stored_rows(db)
        assert rows == expected_rows(db, summary.run_id)
        assert summary.credits == len(rows)
        # Built again after the load; the covering one only by runs that keep no snapshot.
        assert credit_indexes(db) == INDEXES
        # The scorecard's sums from the snapshot are the rows' sums, group for group.
        wide = load_snapshot(db, latest_run(db))[0]
        for model in summary.models:
            from_rows = summed_from_rows(db.connection(), model)
            assert (
                summed_from_snapshot(wide, model).rows()
                == from_rows.sort(
                    "opportunity_id", "campaign_id", "channel", nulls_last=False
                ).rows()
            )
    finally:
        nested.rollback()


@pytest.fixture
def committed(migrated_database):
    """A session on a database whose rows other connections see (the world committed)."""
    _, engine = migrated_database("attr_run_rows")
    session = make_session_factory(engine)()
    world.build(session)
    session.commit()
    yield session
    session.close()


def test_roi_counts_made_beside_the_run_equal_counting_after(committed, monkeypatch):
    threads: list[str] = []
    real = stage_counter.StageCounting._count

    def count(self, connection):
        import threading

        threads.append(threading.current_thread().name)
        real(self, connection)

    monkeypatch.setattr(stage_counter.StageCounting, "_count", count)
    run_full(db_session=committed, config=default_config(), now=NOW)
    committed.commit()
    assert threads == ["attribution-stage-counts"]  # counted on a connection of its own
    counted = lookups.stage_counts(
        committed.connection(), AttributionFilters(), lookback_days=180
    ).sort("campaign_id")
    stored = latest_run(committed).stage_counts
    assert stored["lookback_days"] == 180
    assert [tuple(row) for row in stored["rows"]] == counted.select(
        "campaign_id", "mqls", "sqls"
    ).rows()
    assert sum(row[1] for row in stored["rows"]) >= 1  # ann became an MQL after the webinar


def test_a_second_run_replaces_the_rows_and_a_failed_one_leaves_them(committed, monkeypatch):
    first = run_full(db_session=committed, config=default_config(), now=NOW)
    committed.commit()
    kept = stored_rows(committed)
    second = run_full(db_session=committed, config=default_config(), now=NOW + timedelta(hours=1))
    committed.commit()
    again = stored_rows(committed)
    assert len(again) == len(kept) == first.credits == second.credits
    assert [row[1:] for row in again] == [row[1:] for row in kept]  # same credits, new run id
    assert {row[0] for row in again} == {second.run_id}

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(credit_rows, "_insert_per_touch", broken)
    monkeypatch.setattr(credit_rows, "insert_frame", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_full(db_session=committed, config=default_config(), now=NOW + timedelta(hours=2))
    committed.rollback()
    assert stored_rows(committed) == again and latest_run(committed).id == second.run_id
    assert credit_indexes(committed) >= INDEXES
    total = committed.scalar(select(func.count()).select_from(AttributionCredit))
    assert total == second.credits
    assert pl.Series([row[-1] for row in again]).sum() > 0


def test_a_run_that_keeps_no_snapshot_keeps_the_covering_index(committed, monkeypatch):
    """Beyond `SNAPSHOT_LIMIT` touches the scorecard reads the rows: through `BY_MODEL`, which
    that run builds and the next run keeping a snapshot drops (a failed one changes neither)."""
    monkeypatch.setattr(store, "SNAPSHOT_LIMIT", 0)
    run_full(db_session=committed, config=default_config(), now=NOW)
    committed.commit()
    assert load_snapshot(committed, latest_run(committed)) is None
    assert credit_indexes(committed) == INDEXES | {BY_MODEL.name}
    store._cache.clear()
    found = store.stored_credits(committed, "linear")
    expected = summed_from_rows(committed.connection(), "linear")
    assert (
        found.credits.drop("model")
        .with_columns(pl.col("channel").cast(pl.String))
        .sort("opportunity_id", "campaign_id", "channel")
        .rows()
        == expected.sort("opportunity_id", "campaign_id", "channel").rows()
    )
    assert expected["cents"].sum() > 0

    monkeypatch.setattr(credit_rows, "_insert_per_touch", _broken)
    monkeypatch.setattr(credit_rows, "insert_frame", _broken)
    monkeypatch.setattr(store, "SNAPSHOT_LIMIT", 5_000_000)
    with pytest.raises(RuntimeError, match="disk full"):
        run_full(db_session=committed, config=default_config(), now=NOW + timedelta(hours=1))
    committed.rollback()
    assert credit_indexes(committed) == INDEXES | {BY_MODEL.name}
    monkeypatch.undo()
    run_full(db_session=committed, config=default_config(), now=NOW + timedelta(hours=2))
    committed.commit()
    assert credit_indexes(committed) == INDEXES
    store._cache.clear()
    assert store.stored_credits(committed, "linear").credits.rows() == found.credits.rows()


def _broken(*_args, **_kwargs):
    raise RuntimeError("disk full")


def test_migration_0039_keeps_the_covering_index_only_where_no_snapshot_answers(fresh_database):
    """An upgraded store whose latest run kept no snapshot (a run before 0038) keeps its index
    until a run replaces it; one whose latest run kept a snapshot, or has no run, loses it."""
    from tandem.attribution.models import AttributionRunRecord
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    for snapshot in (False, True):
        engine = make_engine(fresh_database(f"before_0039_{int(snapshot)}"))
        upgrade(engine, "0038_attribution_snapshots")
        with make_session_factory(engine)() as session:
            run = AttributionRunRecord(kind="full", config_version="v1", models=["linear"],
                                       config={}, finished_at=NOW)  # fmt: skip
            session.add(run)
            session.flush()
            if snapshot:
                from tandem.attribution.models import AttributionSnapshot

                session.add(AttributionSnapshot(run_id=run.id, touches=0, credits=b"",
                                                campaign_touches=b""))  # fmt: skip
            session.commit()
        upgrade(engine, "0039_attribution_by_model")
        with engine.connect() as connection:
            names = {i["name"] for i in inspect(connection).get_indexes("attribution_credits")}
        assert (BY_MODEL.name in names) is not snapshot
        engine.dispose()
