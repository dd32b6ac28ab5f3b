"""Stored attribution results: write a run's credits, refresh the deals that changed, read back.

A **full run** (`tandem attribution run`) credits every won deal under every model of the
configuration and replaces the stored credits. An **incremental refresh** (`tandem attribution
run --changed`, or the scheduler) re-credits only the won deals that are new or changed since
(amount or close date) and drops the deals no longer won. Position and time-decay models give
exactly what a full run would; Markov and Shapley reuse the channel shares the last full run
learned (a full run re-learns them).

The revenue dashboard, the weekly review and the attribution page read these tables; when no
run has been stored they say so ("not computed yet") and show no estimate in their place.
"""

import io
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl
from sqlalchemy import BigInteger, Connection, Index, MetaData, cast, delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, DropIndex

from tandem.attribution import (
    AttributionConfig,
    AttributionResult,
    batch_from_frames,
)
from tandem.attribution.channel_shares import channel_share_weights
from tandem.attribution.credit_rows import CREDIT_COLUMNS, write_credits
from tandem.attribution.models import (
    AttributedOpportunity,
    AttributionCampaignTouch,
    AttributionCredit,
    AttributionRunRecord,
    AttributionSnapshot,
)
from tandem.attribution.money import allocate_cents
from tandem.attribution.query import TS, creditable, read_frame, timestamp
from tandem.attribution.schemas import AttributionFilters
from tandem.attribution.service import AttributionRun, run_attribution
from tandem.attribution.stage_counter import StageCounting
from tandem.bounds import read_money
from tandem.bulk import big_write_cache, emptied_for_reload, insert_frame
from tandem.engines.attribution import full_run, learn_shares
from tandem.opportunities.models import Opportunity

NOT_COMPUTED = "Attribution not computed yet — run `tandem attribution run`."
DATA_DRIVEN = ("markov", "shapley")
#: Above this many changed deals an incremental refresh is not worth it: run in full.
INCREMENTAL_LIMIT = 5000
#: A run with more touches than this keeps no snapshot (one stored value): readers read rows.
SNAPSHOT_LIMIT = 5_000_000
_WIDE_INDEX = {"opportunity_id": pl.Int64, "activity_id": pl.Int64, "touch_index": pl.Int32,
               "channel": pl.String, "campaign_id": pl.Int64, "asset_id": pl.Int64,
               "team": pl.String, "source": pl.String}  # fmt: skip
_TOUCHED = {"opportunity_id": pl.Int64, "campaign_id": pl.Int64}
#: Covering index of the scorecard's read of one model (`stored_credits`), kept only while the
#: latest run has no snapshot to answer that read from (`_keep_snapshot`; migration 0039).
#: Building it was 1.8 s of a full run at 1,000,000 contacts, for a read the snapshot answers.
#: On a copy of the table outside the models' metadata: the declared schema does not have it.
_CREDITS = AttributionCredit.__table__.to_metadata(MetaData())
BY_MODEL = Index(
    "ix_attribution_credits_model_opportunity",
    *(_CREDITS.c[n] for n in ("model", "opportunity_id", "campaign_id", "channel", "credit_cents")),
)


@dataclass(frozen=True)
class RunSummary:
    """What one run stored."""

    run_id: int
    kind: str
    models: tuple[str, ...]
    config_version: str
    opportunities: int  # won deals credited (or found unattributed)
    credits: int  # rows written: touches x models
    unattributed_cents: int
    removed: int  # deals whose credits were dropped (no longer won), incremental only


def latest_run(db_session: Session, *, kind: str | None = None) -> AttributionRunRecord | None:
    """The most recent finished run (of `kind`, if given)."""
    query = select(AttributionRunRecord).where(AttributionRunRecord.finished_at.is_not(None))
    if kind:
        query = query.where(AttributionRunRecord.kind == kind)
    return db_session.scalar(query.order_by(AttributionRunRecord.id.desc()).limit(1))


def _learned_shares(run: AttributionRun, models: Sequence[str]) -> dict[str, dict[str, float]]:
    """The channel shares Markov and Shapley learned from this run's journeys."""
    wanted = [m for m in DATA_DRIVEN if m in models]
    if not wanted or run.touches.height == 0:
        return {}
    batch = batch_from_frames(
        run.deals.select("opportunity_id", "amount_cents", "converted", "as_of"), run.touches
    )
    learned = learn_shares(batch.to_paths(), run.config, wanted)
    channels = learned["channel"].to_list()
    return {m: dict(zip(channels, map(float, learned[m]), strict=True)) for m in wanted}


def _with_learned(
    run: AttributionRun, models: Sequence[str], shares: dict[str, dict[str, float]]
) -> AttributionResult:
    """`run`'s credits plus Markov/Shapley credits from previously learned channel shares."""
    result = run.result
    batch = batch_from_frames(
        run.deals.select("opportunity_id", "amount_cents", "converted", "as_of"), run.touches
    )
    amount = np.where(batch.converted, batch.amount_cents, 0)
    kept = np.repeat(batch.converted, batch.lengths)
    columns = []
    for name in (m for m in models if m in DATA_DRIVEN):
        learned = shares.get(name, {})
        aligned = np.array([learned.get(c, 0.0) for c in batch.channels], dtype=np.float64)
        weights = channel_share_weights(batch, aligned)
        columns.append(pl.Series(name, allocate_cents(amount, weights, batch.offsets)[kept]))
    return AttributionResult(
        config_version=result.config_version,
        models=tuple(m for m in models if m in result.models or m in DATA_DRIVEN),
        credits=result.credits.with_columns(columns),
        unattributed_cents=result.unattributed_cents,
    )


def _write(
    db_session: Session,
    record: AttributionRunRecord,
    run: AttributionRun,
    result: AttributionResult,
    *,
    replace: bool = False,
) -> tuple[int, int]:
    """Insert the credited deals and their credits per touch and model; (deals, credits).
    With `replace` (a full run) the stored credits and campaign touches are replaced
    (`write_credits`, `bulk.emptied_for_reload`)."""
    won = run.deals.filter(pl.col("converted"))
    touches = result.credits.group_by("opportunity_id").len("touches")
    deals = (
        won.select("opportunity_id", "amount_cents", "closed_at")
        .join(touches, on="opportunity_id", how="left")
        .with_columns(
            pl.col("touches").fill_null(0).cast(pl.Int64), pl.lit(record.id).alias("run_id")
        )
    )
    connection = db_session.connection()
    # In key order: each row appends to the primary key's b-tree instead of landing anywhere.
    touched = _campaign_touches(run).sort("opportunity_id", "campaign_id")
    name = AttributionCampaignTouch.__tablename__
    # One big page cache over all three: shrunk between them, it would spill to the WAL.
    with big_write_cache(connection):
        insert_frame(connection, "attribution_opportunities", deals)
        credits = write_credits(connection, record.id, result, replace=replace)
        with emptied_for_reload(connection, name) if replace else nullcontext():
            insert_frame(connection, name, touched)
    return deals.height, credits


def _campaign_touches(run: AttributionRun) -> pl.DataFrame:
    """The campaigns that touched each closed deal of `run` (won or lost): ROI's deal counts."""
    return (
        run.touches.filter(pl.col("campaign_id").is_not_null())
        .select("opportunity_id", pl.col("campaign_id").cast(pl.Int64))
        .unique()
    )


def _wide(result: AttributionResult) -> pl.DataFrame:
    """A result's credits as stored and read back: a row per touch, a cents column per model."""
    return result.credits.select(
        *(pl.col(c).cast(t) for c, t in _WIDE_INDEX.items()),
        *(pl.col(m).cast(pl.Int64) for m in result.models),
    ).sort("opportunity_id", "touch_index")


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd")
    return buffer.getvalue()


@dataclass(frozen=True)
class _Snapshot:
    """A snapshot as stored: the credits (wide) and campaign touches as Parquet."""

    touches: int
    credits: bytes
    campaign_touches: bytes


def _encoded(snapshot: tuple[pl.DataFrame, pl.DataFrame] | None) -> _Snapshot | None:
    """`snapshot` (credits, campaign touches) as stored; None for none or too many touches."""
    if snapshot is None or snapshot[0].height > SNAPSHOT_LIMIT:
        return None
    credits, touched = snapshot
    return _Snapshot(
        credits.height, _parquet(credits), _parquet(touched.sort("opportunity_id", "campaign_id"))
    )


def _keep_snapshot(
    db_session: Session, record: AttributionRunRecord, snapshot: _Snapshot | None
) -> None:
    """Make `snapshot` the only one stored, `record`'s; with None the readers read the rows
    and `BY_MODEL` is built."""
    db_session.execute(delete(AttributionSnapshot))
    _index_by_model(db_session.connection(), wanted=snapshot is None)
    if snapshot is not None:
        db_session.add(
            AttributionSnapshot(
                run_id=record.id,
                touches=snapshot.touches,
                credits=snapshot.credits,
                campaign_touches=snapshot.campaign_touches,
            )
        )


def _index_by_model(connection: Connection, *, wanted: bool) -> None:
    """Build `BY_MODEL` if `wanted` and missing, drop it if not wanted and there (in the run's
    transaction: a failed run leaves it as it was). On PostgreSQL a drop locks the table's
    readers out until the commit, but only a run after one that kept no snapshot drops it."""
    if wanted:
        connection.execute(CreateIndex(BY_MODEL, if_not_exists=True))
    else:
        connection.execute(DropIndex(BY_MODEL, if_exists=True))


def load_snapshot(
    db_session: Session, run: AttributionRunRecord
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The credits (wide) and campaign touches `run` stored as its snapshot; None if it kept
    none (a run with too many touches, or an incremental refresh after a run that kept none)."""
    found = db_session.get(AttributionSnapshot, run.id)
    if found is None:
        return None
    return (
        pl.read_parquet(io.BytesIO(found.credits)),
        pl.read_parquet(io.BytesIO(found.campaign_touches)),
    )


def run_full(
    *,
    db_session: Session,
    config: AttributionConfig,
    now: datetime,
    models: Sequence[str] | None = None,
) -> RunSummary:
    """Credit every won deal under `models` (default all) and replace the stored credits.

    On the analytics engine chosen at start (`tandem.engines.attribution.full_run`); the run
    is computed whole before anything is written, so a failed one leaves the last good run."""
    counting = StageCounting(db_session, config)  # beside the run, from its start
    aside = ThreadPoolExecutor(1, thread_name_prefix="attribution-aside")
    try:
        run, shares = full_run(
            db_session=db_session,
            filters=AttributionFilters(basis="won"),
            config=config,
            models=models,
        )
        record = AttributionRunRecord(
            kind="full", basis="won", started_at=now, config_version=config.version, models=[],
            config=config.model_dump(mode="json"), shares={},
        )  # fmt: skip
        db_session.add(record)
        db_session.flush()
        chosen = run.result.models
        # Frames only, on a thread while the rows are written (SQLite lets go of the GIL).
        snapshot = aside.submit(lambda: _encoded((_wide(run.result), _campaign_touches(run))))
        learned = aside.submit(_learned_shares, run, chosen) if shares is None else None
        if run.result.credits.height <= SNAPSHOT_LIMIT:  # not rebuilt by the reload only to go
            _index_by_model(db_session.connection(), wanted=False)
        db_session.execute(delete(AttributedOpportunity))
        deals, credits = _write(db_session, record, run, run.result, replace=True)
        _keep_snapshot(db_session, record, snapshot.result())
        record.models = list(chosen)
        record.shares = learned.result() if learned else shares
        record.opportunities, record.credits = deals, credits
        record.unattributed_cents = run.result.unattributed_cents
        record.stage_counts = counting.result()
    finally:
        aside.shutdown()
        counting.join()
    record.finished_at = now
    db_session.flush()
    return RunSummary(record.id, "full", chosen, config.version, deals, credits,
                      run.result.unattributed_cents, 0)  # fmt: skip


def _won_now(db_session: Session) -> pl.DataFrame:
    connection = db_session.connection()
    query = select(
        Opportunity.id,
        read_money(Opportunity.amount),
        timestamp(connection, Opportunity.closed_at),
    ).where(
        Opportunity.is_won.is_(True),
        Opportunity.is_closed.is_(True),
        Opportunity.closed_at.is_not(None),
        *creditable(),
    )
    frame = read_frame(
        connection, query, {"opportunity_id": pl.Int64, "amount": pl.Float64, "closed_at": TS}
    )
    return frame.select(
        "opportunity_id",
        (pl.col("amount") * 100).round().cast(pl.Int64).alias("amount_cents"),
        "closed_at",
    )


def _stored_deals(db_session: Session) -> pl.DataFrame:
    connection = db_session.connection()
    query = select(
        AttributedOpportunity.opportunity_id,
        AttributedOpportunity.amount_cents,
        timestamp(connection, AttributedOpportunity.closed_at),
        AttributedOpportunity.touches,
    )
    schema = {"opportunity_id": pl.Int64, "amount_cents": pl.Int64, "closed_at": TS,
              "touches": pl.Int64}  # fmt: skip
    return read_frame(connection, query, schema)


def changed_deals(db_session: Session) -> tuple[list[int], list[int]]:
    """(won deals new or changed since they were credited, credited deals no longer won)."""
    now, stored = _won_now(db_session), _stored_deals(db_session)
    joined = now.join(stored, on="opportunity_id", how="left", suffix="_stored")
    changed = joined.filter(
        pl.col("amount_cents_stored").is_null()
        | (pl.col("amount_cents") != pl.col("amount_cents_stored"))
        | (pl.col("closed_at") != pl.col("closed_at_stored")).fill_null(True)
    )
    gone = stored.join(now, on="opportunity_id", how="anti")
    return sorted(changed["opportunity_id"].to_list()), sorted(gone["opportunity_id"].to_list())


def refresh_changed(*, db_session: Session, now: datetime) -> RunSummary | None:
    """Re-credit the won deals that are new or changed since the last run; None if no full run
    has been stored yet (run one first)."""
    full = latest_run(db_session, kind="full")
    if full is None:
        return None
    config = AttributionConfig.model_validate(full.config)
    models = tuple(full.models)
    changed, gone = changed_deals(db_session)
    if not changed and not gone:  # nothing to do: no run recorded, readers keep their copy
        return RunSummary(full.id, "incremental", models, config.version, 0, 0, 0, 0)
    if len(changed) > INCREMENTAL_LIMIT:
        return run_full(db_session=db_session, config=config, now=now, models=models)
    previous = latest_run(db_session)
    snapshot = load_snapshot(db_session, previous) if previous else None
    record = AttributionRunRecord(
        kind="incremental", basis="won", started_at=now, config_version=config.version,
        models=list(models), config=full.config, shares=full.shares,
    )  # fmt: skip
    db_session.add(record)
    db_session.flush()
    dropped = changed + gone
    for start in range(0, len(dropped), 500):
        ids = dropped[start : start + 500]
        db_session.execute(
            delete(AttributionCredit).where(AttributionCredit.opportunity_id.in_(ids))
        )
        db_session.execute(
            delete(AttributedOpportunity).where(AttributedOpportunity.opportunity_id.in_(ids))
        )
    for start in range(0, len(changed), 500):  # deals no longer won keep theirs (lost deals count)
        ids = changed[start : start + 500]
        db_session.execute(
            delete(AttributionCampaignTouch).where(AttributionCampaignTouch.opportunity_id.in_(ids))
        )
    deals = credits = unattributed = 0
    if changed:
        run = run_attribution(
            db_session=db_session,
            filters=AttributionFilters(basis="won", opportunity_ids=tuple(changed)),
            config=config,
            models=[m for m in models if m not in DATA_DRIVEN],
        )
        result = _with_learned(run, models, full.shares)
        deals, credits = _write(db_session, record, run, result)
        unattributed = result.unattributed_cents
    if snapshot is not None:  # the previous run's, its refreshed deals replaced
        kept_credits = snapshot[0].filter(~pl.col("opportunity_id").is_in(dropped))
        kept_touched = snapshot[1].filter(~pl.col("opportunity_id").is_in(changed))
        if changed:
            kept_credits = pl.concat([kept_credits, _wide(result).select(kept_credits.columns)])
            kept_touched = pl.concat([kept_touched, _campaign_touches(run)])
        snapshot = kept_credits.sort("opportunity_id", "touch_index"), kept_touched
    _keep_snapshot(db_session, record, _encoded(snapshot))
    record.opportunities, record.credits, record.unattributed_cents = deals, credits, unattributed
    record.finished_at = now
    db_session.flush()
    return RunSummary(record.id, "incremental", models, config.version, deals, credits,
                      unattributed, len(gone))  # fmt: skip


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StoredCredits:
    """One model's stored credits summed per won deal, campaign and channel (the scorecard)."""

    run_id: int
    computed_at: datetime
    model: str  # the model whose credits `credits` holds
    models: tuple[str, ...]
    config_version: str
    stamp: tuple  # the latest run's id, time and counts: a newer run changes it
    credits: pl.DataFrame  # opportunity_id, campaign_id, channel, cents, model
    deals: pl.DataFrame  # opportunity_id, amount_cents, touches (0: unattributed)


_cache: dict[str, StoredCredits] = {}
_cache_lock = threading.Lock()


def stored_credits(db_session: Session, model: str | None = None) -> StoredCredits | None:
    """The latest stored credits of one model, summed for dashboards; None when nothing was
    computed yet. `model` if the run stored it, else the scorecard's default model.

    Kept in memory per database and model until a newer run is stored (one cheap query
    tells). Read from the latest run's snapshot when it kept one; else only that model's rows
    are read (`BY_MODEL` covers it: runs that keep no snapshot keep that index).
    """
    from tandem.analytics.attributed import pick_model

    last = db_session.execute(
        select(
            AttributionRunRecord.id,
            AttributionRunRecord.finished_at,
            AttributionRunRecord.token,
        )
        .where(AttributionRunRecord.finished_at.is_not(None))
        .order_by(AttributionRunRecord.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    full = latest_run(db_session, kind="full")
    chosen = pick_model(tuple(full.models), model) if full else None
    if full is None or chosen is None:
        return None
    key = f"{db_session.connection().engine.url}|{chosen}"
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached.stamp == tuple(last):
            return cached
    credits = _model_credits(db_session, last.id, chosen).with_columns(
        pl.lit(chosen).alias("model"), pl.col("channel").cast(pl.Categorical)
    )
    found = StoredCredits(
        run_id=last.id,
        computed_at=last.finished_at,
        model=chosen,
        models=tuple(full.models),
        config_version=full.config_version,
        stamp=tuple(last),
        credits=credits,
        deals=_stored_deals(db_session).drop("closed_at"),
    )
    with _cache_lock:
        _cache[key] = found
    return found


_SUMMED = ("opportunity_id", "campaign_id", "channel")


def _model_credits(db_session: Session, run_id: int, model: str) -> pl.DataFrame:
    """`model`'s credits summed per deal, campaign and channel (``cents``) as the run `run_id`
    left them: from its snapshot if it kept one with that model, else from the rows."""
    blob = db_session.scalar(
        select(AttributionSnapshot.credits).where(AttributionSnapshot.run_id == run_id)
    )
    wide = pl.read_parquet(io.BytesIO(blob)) if blob is not None else None
    if wide is not None and model in wide.columns:
        return summed_from_snapshot(wide, model)
    return summed_from_rows(db_session.connection(), model)


def summed_from_snapshot(wide: pl.DataFrame, model: str) -> pl.DataFrame:
    """`summed_from_rows` from a snapshot's credits (a row per touch, a column per model)."""
    return (
        wide.group_by(*_SUMMED)
        .agg(pl.col(model).sum().alias("cents"))
        .sort(*_SUMMED, nulls_last=False)
    )


def summed_from_rows(connection: Connection, model: str) -> pl.DataFrame:
    """`model`'s stored credit rows summed per deal, campaign and channel: ``opportunity_id,
    campaign_id, channel, cents``."""
    query = (
        select(
            AttributionCredit.opportunity_id,
            AttributionCredit.campaign_id,
            AttributionCredit.channel,
            # BIGINT: PostgreSQL sums BIGINTs as NUMERIC, which Arrow reads as a decimal.
            cast(func.sum(AttributionCredit.credit_cents), BigInteger),
        )
        .where(AttributionCredit.model == model)
        .group_by(
            AttributionCredit.opportunity_id,
            AttributionCredit.campaign_id,
            AttributionCredit.channel,
        )
    )
    schema = {"opportunity_id": pl.Int64, "campaign_id": pl.Int64, "channel": pl.String,
              "cents": pl.Int64}  # fmt: skip
    # In the snapshot's order (PostgreSQL groups in no particular order).
    return read_frame(connection, query, schema).sort(*_SUMMED, nulls_last=False)


@dataclass(frozen=True, eq=False)
class StoredRun:
    """The stored results of the won deals of some filters, shaped as an `AttributionRun`."""

    run: AttributionRun
    record: AttributionRunRecord  # the last full run (its time, models, configuration)
    last: AttributionRunRecord  # the latest run, full or incremental
    not_computed: pl.DataFrame  # won deals of the filters with no stored result: id, name, cents


def stored_run(*, db_session: Session, filters: AttributionFilters) -> StoredRun | None:
    """The won deals of `filters` with their stored credits; None when nothing is stored.

    Amounts are the ones credited (a deal changed since shows in `not_computed` until the
    refresh), so per model the credits plus the unattributed deals make the total exactly.
    """
    full, last = latest_run(db_session, kind="full"), latest_run(db_session)
    if full is None or last is None:
        return None
    from tandem.attribution.query import deals

    config = AttributionConfig.model_validate(full.config)
    connection = db_session.connection()
    found = deals(connection, filters)
    known = _stored_deals(db_session).select(
        "opportunity_id",
        pl.col("amount_cents").alias("stored_cents"),
        pl.col("closed_at").alias("stored_closed_at"),
        "touches",
    )
    found = found.join(known, on="opportunity_id", how="left")
    current = (
        pl.col("stored_cents").is_not_null()
        & (pl.col("stored_cents") == pl.col("amount_cents"))
        & (pl.col("stored_closed_at") == pl.col("closed_at"))
    )
    not_computed = found.filter(pl.col("is_won") & ~current.fill_null(False))
    found = found.with_columns(
        (pl.col("is_won") & current.fill_null(False)).alias("converted"),
        pl.lit(None, dtype=TS).alias("mql_at"),
        pl.col("closed_at").alias("as_of"),
    )
    models = tuple(full.models)
    wide = _stored_wide(db_session, last, models).join(
        found.filter(pl.col("converted")).select("opportunity_id"), on="opportunity_id", how="semi"
    )
    index = ["opportunity_id", "activity_id", "touch_index", *CREDIT_COLUMNS]
    credited = found.filter(pl.col("converted"))
    result = AttributionResult(
        config_version=full.config_version,
        models=models,
        credits=wide.select(*index, *models),
        unattributed_cents=int(credited.filter(pl.col("touches") == 0)["amount_cents"].sum()),
    )
    touched = _cached(db_session, last, "campaign_touches", lambda: _stored_touched(
        db_session, last
    )).join(found.select("opportunity_id"), on="opportunity_id", how="semi")  # fmt: skip
    run = AttributionRun(
        filters=filters,
        scope=config.window.contacts,
        config=config,
        deals=found.drop("stored_cents", "stored_closed_at", "touches"),
        touches=touched,  # campaigns that touched each closed deal, won or lost
        result=result,
    )
    return StoredRun(
        run=run,
        record=full,
        last=last,
        not_computed=not_computed.select("opportunity_id", "name", "amount_cents"),
    )


_frames: dict[tuple[str, str], tuple[str, pl.DataFrame]] = {}


def _cached(db_session: Session, last: AttributionRunRecord, name: str, read) -> pl.DataFrame:
    """`read()`, kept in memory per database until another run is stored (its token)."""
    key = (str(db_session.connection().engine.url), name)
    with _cache_lock:
        hit = _frames.get(key)
        if hit and hit[0] == last.token:
            return hit[1]
    frame = read()
    with _cache_lock:
        _frames[key] = (last.token, frame)
    return frame


def cached_stage_counts(
    db_session: Session, filters: AttributionFilters, *, lookback_days: int
) -> pl.DataFrame:
    """Campaign ROI's MQL and SQL counts, computed once per stored run and date range."""
    from tandem.attribution.lookups import stage_counts

    last = latest_run(db_session)
    if last is None:
        return stage_counts(db_session.connection(), filters, lookback_days=lookback_days)
    dates = AttributionFilters(start=filters.start, end=filters.end)
    stored = last.stage_counts
    all_dates = dates.start is None and dates.end is None
    if all_dates and stored and stored["lookback_days"] == lookback_days:
        # What the run counted: read, not counted again.
        return pl.DataFrame(
            stored["rows"],
            schema={"campaign_id": pl.Int64, "mqls": pl.Int64, "sqls": pl.Int64},
            orient="row",
        )
    return _cached(
        db_session, last, f"stages|{dates.start}|{dates.end}|{lookback_days}",
        lambda: stage_counts(db_session.connection(), dates, lookback_days=lookback_days),
    )  # fmt: skip


def _stored_touched(db_session: Session, last: AttributionRunRecord) -> pl.DataFrame:
    """The campaigns that touched each closed deal: the run's snapshot, else the rows."""
    snapshot = load_snapshot(db_session, last)
    if snapshot is not None:
        return snapshot[1]
    query = select(AttributionCampaignTouch.opportunity_id, AttributionCampaignTouch.campaign_id)
    return read_frame(db_session.connection(), query, _TOUCHED)


def _stored_wide(
    db_session: Session, last: AttributionRunRecord, models: tuple[str, ...]
) -> pl.DataFrame:
    """Every stored credit, one row per touch and a cents column per model (SQL pivots)."""
    index = ["opportunity_id", "activity_id", "touch_index", *CREDIT_COLUMNS]

    def read() -> pl.DataFrame:
        snapshot = load_snapshot(db_session, last)
        if snapshot is not None and set(models) <= set(snapshot[0].columns):
            return snapshot[0].select(*index, *models)
        # The long rows in columns (Arrow), pivoted by Polars: several times faster than
        # SQL's GROUP BY with a CASE per model on millions of credits.
        c = AttributionCredit
        query = select(
            c.opportunity_id, c.activity_id, c.touch_index, c.channel, c.campaign_id,
            c.asset_id, c.team, c.source, c.model, c.credit_cents,
        ).where(c.model.in_(models))  # fmt: skip
        schema = {"opportunity_id": pl.Int64, "activity_id": pl.Int64, "touch_index": pl.Int32,
                  "channel": pl.String, "campaign_id": pl.Int64, "asset_id": pl.Int64,
                  "team": pl.String, "source": pl.String, "model": pl.String,
                  "credit_cents": pl.Int64}  # fmt: skip
        long = read_frame(db_session.connection(), query, schema)
        cents = pl.col("credit_cents")
        frame = long.group_by("opportunity_id", "activity_id", "touch_index").agg(
            *(pl.col(name).min() for name in CREDIT_COLUMNS),
            *(cents.filter(pl.col("model") == m).sum().alias(m) for m in models),
        )
        return frame.select(*index, *models).sort("opportunity_id", "touch_index")

    return _cached(db_session, last, "wide|" + ",".join(models), read)


def warm(*, db_session: Session) -> None:
    """Read the latest stored results into memory (the attribution page's and the scorecard's
    copies, and the ROI counts of the default range); nothing when nothing is stored."""
    from tandem.attribution.report import build_report

    full = latest_run(db_session, kind="full")
    if full is None:
        return
    stored_credits(db_session)
    config = AttributionConfig.model_validate(full.config)
    build_report(db_session=db_session, filters=AttributionFilters(), config=config, stored=True)
