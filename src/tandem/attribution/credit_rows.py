"""A run's credits as stored rows: one `attribution_credits` row per touch and model.

A full run at 1,000,000 contacts writes 2.4 million of these rows, which was the largest part
of the run. On SQLite a full run writes them two ways cheaper than a plain bulk insert
(measured in docs/benchmarks.md, "Attribution run at 1M"):

- a touch's columns are bound once and each of its credit rows names them by number (``?5``)
  beside its model's cents, eight touches to a multi-row VALUES (Python binds 8 + one value
  per model per touch instead of 12 per credit, and nothing is parsed): about a third of the CPU;
- the table is emptied by dropping and creating it again, and its indexes are built after the
  load (`bulk.emptied_for_reload`: one sorted build instead of b-tree inserts at nine places at
  once). DDL is transactional in SQLite: a run that fails leaves the last good run's rows.

PostgreSQL takes the rows by COPY into the indexed table, as incremental refreshes do
everywhere: dropping an index there would lock the table's readers out until the commit.
"""

from contextlib import nullcontext

import polars as pl
from sqlalchemy import Connection

from tandem.attribution.engine import AttributionResult
from tandem.attribution.models import AttributionCredit
from tandem.bulk import emptied_for_reload, insert_frame, side_by_side

#: The columns of a touch every one of its credit rows repeats.
CREDIT_COLUMNS = ("channel", "campaign_id", "asset_id", "team", "source")
TOUCH_INDEX = ("opportunity_id", "activity_id", "touch_index", *CREDIT_COLUMNS)
_TABLE = AttributionCredit.__table__
#: Touches per statement: fewer statements to step (a fifth less CPU than one per statement).
TOUCHES_PER_STATEMENT = 8
_INSERT = (
    "INSERT INTO attribution_credits (run_id, opportunity_id, activity_id, touch_index, "
    "channel, campaign_id, asset_id, team, source, model, credit_cents) VALUES "
)


def _values(touches: int, models: int) -> str:
    """The VALUES rows of `touches` touches: parameter 1 is the run, 2 .. models + 1 the model
    names, then per touch its 8 columns and its cents per model; a row per touch and model."""
    rows = []
    for touch in range(touches):
        first = 2 + models + touch * (8 + models)
        columns = ", ".join(f"?{first + k}" for k in range(8))
        rows += [f"(?1, {columns}, ?{2 + m}, ?{first + 8 + m})" for m in range(models)]
    return ", ".join(rows)


def long_credits(run_id: int, result: AttributionResult) -> pl.DataFrame:
    """`result`'s credits as the table's rows: a row per touch and model."""
    return result.credits.unpivot(
        index=list(TOUCH_INDEX),
        on=list(result.models),
        variable_name="model",
        value_name="credit_cents",
    ).with_columns(
        pl.lit(run_id).alias("run_id"),
        pl.col("campaign_id").cast(pl.Int64),
        pl.col("asset_id").cast(pl.Int64),
        *(pl.col(name).cast(pl.String) for name in ("channel", "team", "source")),
    )


def write_credits(
    connection: Connection, run_id: int, result: AttributionResult, *, replace: bool
) -> int:
    """Insert `result`'s credits under `run_id` in the caller's transaction; with `replace`
    (a full run) every stored credit is deleted first. Returns the rows written."""
    if connection.dialect.name != "sqlite" or not replace:
        with emptied_for_reload(connection, _TABLE.name) if replace else nullcontext():
            return insert_frame(connection, _TABLE.name, long_credits(run_id, result))
    with emptied_for_reload(connection, _TABLE.name):
        return _insert_per_touch(connection, run_id, result)


def _insert_per_touch(connection: Connection, run_id: int, result: AttributionResult) -> int:
    """SQLite: eight touches to an INSERT, a row per touch and model (`_values`)."""
    models = result.models
    if result.credits.height == 0 or not models:
        return 0
    touches = result.credits.select(
        "opportunity_id",
        "activity_id",
        "touch_index",
        pl.col("channel").cast(pl.String),
        pl.col("campaign_id").cast(pl.Int64),
        pl.col("asset_id").cast(pl.Int64),
        pl.col("team").cast(pl.String),
        pl.col("source").cast(pl.String),
        *models,
    )
    # The run and the model names lead every statement's parameters.
    lead = [
        pl.lit(run_id, dtype=pl.Int64).alias(" run"),
        *(pl.lit(m).alias(f" {m}") for m in models),
    ]
    dbapi = connection.connection.driver_connection
    grouped, rest = side_by_side(touches, TOUCHES_PER_STATEMENT)
    for frame, count in ((grouped, TOUCHES_PER_STATEMENT), (rest, 1)):
        if frame.height:
            sql = _INSERT + _values(count, len(models))
            dbapi.executemany(sql, frame.select(*lead, pl.all()).iter_rows())
    return touches.height * len(models)
