"""Run attribution on an analytics engine: the SQL of `attribution_sql` over the deals and their
touch candidates, returned in the shape of the in-process `tandem.attribution.attribute`.

The engine windows the touches, aggregates the distinct channel paths and computes every
model's credits; only the paths (a few thousand rows) come back for Markov and Shapley to be
fitted here, and their channel shares go back as a relation. Nothing is stored here: the
caller writes the result only once the whole run has come back.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from tandem.attribution import registry
from tandem.attribution.config import AttributionConfig
from tandem.attribution.engine import AttributionResult
from tandem.attribution.markov import markov_attribution
from tandem.attribution.paths import Paths
from tandem.attribution.schemas import AttributionFilters
from tandem.attribution.service import AttributionRun, attribution_inputs, run_attribution
from tandem.attribution.shapley import shapley_values
from tandem.content.influence import Credit
from tandem.engines.attribution_sql import (
    DATA_DRIVEN,
    DIMENSIONS,
    credits_statement,
    given_touches_sql,
    paths_statement,
    touches_sql,
    touches_statement,
)
from tandem.engines.rescore import KEPT, failed
from tandem.metrics import engine as engine_module
from tandem.metrics.engine import Engine

#: Builds an engine over named relations (`Engine`, or a `SparkEngine` bound to its session).
EngineFactory = Callable[[Mapping[str, Callable[[], pl.DataFrame]]], Engine]
TS = pl.Datetime("us", "UTC")
_RELATIONS = ("deals", "cands")


@dataclass(frozen=True, eq=False)
class PortableRun:
    """What the engine computed: the touches in the windows, the credits, the learned shares."""

    touches: pl.DataFrame  # as select_touchpoints_frame: candidates' columns and milestones
    result: AttributionResult
    shares: dict[str, dict[str, float]]  # channel shares Markov and Shapley learned
    paths: pl.DataFrame  # path (list of channels), conversions, nulls, value_cents


def _epoch(name: str) -> pl.Expr:
    return pl.col(name).dt.epoch("us")


def relations(deals: pl.DataFrame, candidates: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The `deals` and `cands` relations from `run_attribution`'s frames (times as epoch µs)."""
    deal_rel = deals.select(
        "opportunity_id",
        pl.col("amount_cents").cast(pl.Int64),
        pl.col("converted").cast(pl.Boolean),
        _epoch("as_of").alias("as_of_us"),
        _epoch("created_at").alias("created_us"),
        _epoch("closed_at").alias("closed_us"),
        _epoch("mql_at").alias("mql_us"),
    )
    cand_rel = candidates.with_columns(
        _epoch("occurred_at").alias("t"), pl.col("channel").cast(pl.String)
    ).drop("occurred_at")
    return {"deals": deal_rel, "cands": cand_rel}


def paths_of(frame: pl.DataFrame) -> Paths:
    """`Paths` from the engine's aggregated paths (channels sorted, as `batch_from_frames`)."""
    frame = frame.sort("path")  # the engine's group order is arbitrary; fits are order-free
    lists = frame["path"]
    channels = tuple(sorted(lists.explode().drop_nulls().unique().to_list()))
    codes = (
        lists.explode()
        .drop_nulls()
        .replace_strict({c: i for i, c in enumerate(channels)}, return_dtype=pl.Int32)
    )
    offsets = np.zeros(frame.height + 1, dtype=np.int64)
    np.cumsum(lists.list.len().to_numpy(), out=offsets[1:])
    return Paths(
        channels=channels,
        offsets=offsets,
        codes=codes.to_numpy().astype(np.int32),
        conversions=frame["conversions"].cast(pl.Float64).to_numpy(),
        nulls=frame["nulls"].cast(pl.Float64).to_numpy(),
        value=frame["value_cents"].cast(pl.Float64).to_numpy() / 100.0,
    )


def learn_shares(paths: Paths, config: AttributionConfig, models: Sequence[str]) -> pl.DataFrame:
    """The `shares` relation: ``channel`` and one share column per data-driven model."""
    columns: dict[str, object] = {"channel": list(paths.channels)}
    if "markov" in models:
        columns["markov"] = markov_attribution(paths, order=config.markov.order).shares
    if "shapley" in models:
        s = config.shapley
        columns["shapley"] = shapley_values(
            paths,
            characteristic=s.characteristic,
            exact_max_channels=s.exact_max_channels,
            samples=s.samples,
            seed=s.seed,
        ).shares
    return pl.DataFrame(columns, schema_overrides={"channel": pl.String})


def _credit(
    engine: Engine,
    relations: Sequence[str],
    source: str,
    config: AttributionConfig,
    names: Sequence[str],
    dimensions: Sequence[str],
    learned: dict[str, pl.DataFrame],
) -> tuple[pl.DataFrame, dict[str, dict[str, float]], pl.DataFrame]:
    """(credits, learned shares, paths) of the touches `source` selects: the paths are
    aggregated on the engine, Markov and Shapley fitted here, their shares sent back as the
    relation `shares` (through `learned`), the credits computed on the engine."""
    wanted = [m for m in names if m in DATA_DRIVEN]
    paths = _arrow(engine, relations, paths_statement(source, engine.dialect))
    shares: dict[str, dict[str, float]] = {}
    if wanted:
        # No touch anywhere: nothing to learn (and nothing to credit), as in process.
        table = (
            learn_shares(paths_of(paths), config, wanted)
            if paths.height
            else pl.DataFrame(schema={"channel": pl.String, **dict.fromkeys(wanted, pl.Float64)})
        )
        learned["shares"] = table
        shares = (
            {m: dict(zip(table["channel"], map(float, table[m]), strict=True)) for m in wanted}
            if table.height
            else {}
        )
        relations = (*relations, "shares")
    statement = credits_statement(config, names, source, dimensions)
    return _arrow(engine, relations, statement), shares, paths


def attribute_on(
    build: EngineFactory,
    deals: pl.DataFrame,
    candidates: pl.DataFrame,
    *,
    config: AttributionConfig,
    models: Sequence[str] | None = None,
) -> PortableRun:
    """Every converted deal's credits under `models` (default all), computed by the engine
    `build` makes: the same cents as `tandem.attribution.attribute` on the same frames.

    `deals` and `candidates` are `run_attribution`'s frames (deals with ``converted``,
    ``as_of`` and ``mql_at``; candidates with ``team``)."""
    names = tuple(models) if models is not None else registry.available(config)
    frames = relations(deals, candidates)
    learned: dict[str, pl.DataFrame] = {}
    engine = build(
        {
            "deals": lambda: frames["deals"],
            "cands": lambda: frames["cands"],
            "shares": lambda: learned["shares"],
        }
    )
    credits, shares, paths = _credit(
        engine, _RELATIONS, touches_sql(config), config, names, DIMENSIONS, learned
    )
    known = ("opportunity_id", "activity_id", "t", *DIMENSIONS)
    extra = [c for c in frames["cands"].columns if c not in known]
    touches = _arrow(engine, _RELATIONS, touches_statement(config, extra))
    touches = touches.with_columns(
        pl.from_epoch("t", time_unit="us").dt.replace_time_zone("UTC").alias("occurred_at"),
        pl.col("milestones").cast(pl.UInt8),
    ).drop("t", "pos")
    won = frames["deals"].filter(pl.col("converted"))
    touched = won.join(credits.select("opportunity_id").unique(), on="opportunity_id", how="anti")
    result = AttributionResult(
        config_version=config.version,
        models=names,
        credits=_typed(credits, names, candidates),
        unattributed_cents=int(touched["amount_cents"].sum()),
    )
    return PortableRun(touches=touches, result=result, shares=shares, paths=paths)


def attribute_touches_on(
    build: EngineFactory,
    journeys: pl.DataFrame,
    touches: pl.DataFrame,
    *,
    config: AttributionConfig,
    models: Sequence[str],
) -> pl.DataFrame:
    """Credits of touches chosen elsewhere (content influence's consumptions), computed by
    the engine `build` makes: `tandem.attribution.attribute(batch_from_frames(journeys,
    touches))`'s credits, with ``opportunity_id, activity_id, touch_index, channel, asset_id``.

    journeys: ``opportunity_id, amount_cents, converted, as_of``; touches: ``opportunity_id,
    activity_id, occurred_at, channel, asset_id, milestones``."""
    frames = {
        "deals": journeys.select(
            "opportunity_id",
            pl.col("amount_cents").cast(pl.Int64),
            pl.col("converted").cast(pl.Boolean),
            _epoch("as_of").alias("as_of_us"),
        ),
        "touched": touches.select(
            "opportunity_id",
            "activity_id",
            _epoch("occurred_at").alias("t"),
            pl.col("channel").cast(pl.String),
            "asset_id",
            pl.col("milestones").cast(pl.Int32),
        ),
    }
    learned: dict[str, pl.DataFrame] = {}
    engine = build(
        {
            "deals": lambda: frames["deals"],
            "touched": lambda: frames["touched"],
            "shares": lambda: learned["shares"],
        }
    )
    source = given_touches_sql(("asset_id",))
    credits, _, _ = _credit(
        engine, ("deals", "touched"), source, config, models, ("channel", "asset_id"), learned
    )
    return credits.select(
        pl.col("opportunity_id").cast(touches.schema["opportunity_id"]),
        pl.col("activity_id").cast(touches.schema["activity_id"]),
        pl.col("touch_index").cast(pl.Int32),
        pl.col("channel").cast(pl.String),
        pl.col("asset_id").cast(touches.schema["asset_id"]),
        *(pl.col(m).cast(pl.Int64) for m in models),
    )


def _arrow(engine: Engine, relations: Sequence[str], statement) -> pl.DataFrame:
    frame = pl.from_arrow(engine.arrow(relations, statement))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _typed(credits: pl.DataFrame, models: Sequence[str], candidates: pl.DataFrame) -> pl.DataFrame:
    """The engine's credits in the in-process engine's column types."""
    schema = candidates.schema
    return credits.select(
        pl.col("opportunity_id").cast(pl.Int64),
        pl.col("activity_id").cast(schema["activity_id"]),
        pl.col("touch_index").cast(pl.Int32),
        *(pl.col(c).cast(schema.get(c, pl.String)) for c in ("channel", "campaign_id", "asset_id")),
        pl.col("team").cast(pl.String),
        pl.col("source").cast(schema.get("source", pl.String)),
        *(pl.col(m).cast(pl.Int64) for m in models),
    )


def full_run(
    *,
    db_session: Session,
    filters: AttributionFilters,
    config: AttributionConfig,
    models: Sequence[str] | None = None,
) -> tuple[AttributionRun, dict[str, dict[str, float]] | None]:
    """The run `tandem attribution run` stores, on the engine chosen at start: in this process
    by default (shares None: the caller learns them), the SQL on Spark with
    ``TANDEM_ANALYTICS_ENGINE=spark`` (with the shares it learned). A failure on Spark is raised
    as `EngineFailed` before anything is written."""
    chosen = engine_module.chosen()
    if chosen["engine"] != "spark":
        run = run_attribution(db_session=db_session, filters=filters, config=config, models=models)
        return run, None
    scope, deals, candidates = attribution_inputs(
        db_session=db_session, filters=filters, config=config
    )
    from tandem.engines.spark import SparkEngine, session

    master = chosen["spark_master"]
    try:
        root = session(master)
        portable = attribute_on(
            lambda relations: SparkEngine(relations, root),
            deals,
            candidates,
            config=config,
            models=models,
        )
    except Exception as exc:  # Py4J and Spark raise many kinds; each ends the run the same way
        raise failed("the attribution run", master, exc, KEPT.format("credits")) from exc
    run = AttributionRun(filters, scope, config, deals, portable.touches, portable.result)
    return run, portable.shares


def influence_credit(config: AttributionConfig) -> Credit | None:
    """How content influence credits its journeys on the engine chosen at start: None (in
    this process, `tandem.attribution.attribute`) by default, the SQL on Spark with
    ``TANDEM_ANALYTICS_ENGINE=spark``; a Spark failure is raised as `EngineFailed`."""
    chosen = engine_module.chosen()
    if chosen["engine"] != "spark":
        return None
    from tandem.engines.spark import SparkEngine, session

    master = chosen["spark_master"]

    def credit(journeys: pl.DataFrame, touches: pl.DataFrame, models: Sequence[str]):
        try:
            root = session(master)
            return attribute_touches_on(
                lambda relations: SparkEngine(relations, root),
                journeys,
                touches,
                config=config,
                models=models,
            )
        except Exception as exc:  # Py4J and Spark raise many kinds; each ends the same way
            raise failed("content influence", master, exc, "no figure was shown") from exc

    return credit
