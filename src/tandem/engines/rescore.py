"""Run the full lead rescore on an analytics engine: the SQL of `rescore_sql` over the contacts
and activities, returned in the shape of the Polars `tandem.scoring.rescore.Rescore`.

Nothing is stored here: the caller writes the result only once the whole computation has come
back, so a run that fails halfway (an executor lost, the engine unreachable) leaves the stored
scores of the last good run in place.
"""

from datetime import datetime

import polars as pl

from tandem.engines.rescore_sql import rescore_statements
from tandem.engines.run import KEPT, EngineFactory, EngineFailed, failed, on_spark, spark_chosen
from tandem.scoring.engine import epoch_us
from tandem.scoring.model import ScoringModel
from tandem.scoring.rescore import (
    Frame,
    Rescore,
    _points,
    as_lazy,
    filter_columns,
    prepare_activities,
)
from tandem.scoring.rescore import rescore as polars_rescore

RELATIONS = ("people", "acts")
__all__ = ["KEPT", "EngineFailed", "failed", "full_rescore", "rescore"]


def rescore(
    build: EngineFactory,
    model: ScoringModel,
    contacts: Frame,
    activities: Frame,
    *,
    as_of: datetime,
) -> Rescore:
    """Every contact's score as of `as_of`, computed by the engine `build` makes: the same
    scores and parts as `tandem.scoring.rescore.rescore`."""
    people = as_lazy(contacts).collect()
    acts, _ = prepare_activities(as_lazy(activities), filter_columns(model))
    acts = acts.collect()
    engine = build({"people": lambda: people, "acts": lambda: acts})
    scores_sql, parts_sql = rescore_statements(
        model, people.schema, acts.schema, epoch_us(as_of), engine.dialect
    )
    scores = pl.from_arrow(engine.arrow(RELATIONS, scores_sql))
    parts = pl.from_arrow(engine.arrow(RELATIONS, parts_sql))
    assert isinstance(scores, pl.DataFrame) and isinstance(parts, pl.DataFrame)
    return Rescore(
        scores.select(
            pl.col("contact_id").cast(people.schema["contact_id"]),
            _points("fit_cents", "fit"),
            _points("engagement_cents", "engagement"),
            _points("total_cents", "total"),
            pl.col("grade").cast(pl.String),
            pl.col("is_mql").cast(pl.Boolean),
        ),
        parts.select(
            pl.col("contact_id").cast(people.schema["contact_id"]),
            pl.col("rule_id").cast(pl.String),
            pl.col("kind").cast(pl.String),
            _points("cents", "points"),
            pl.col("occurrences").cast(pl.Int64),
            pl.col("capped").cast(pl.Boolean),
        ),
    )


def full_rescore(
    model: ScoringModel, contacts: Frame, activities: Frame, *, as_of: datetime
) -> Rescore:
    """The full rescore on the engine chosen at start (`tandem.metrics.engine.use`): Polars in
    this process by default, the generated SQL on Spark with ``TANDEM_ANALYTICS_ENGINE=spark``.
    A failure on Spark is raised as `EngineFailed` before anything is written: the caller
    stores results only from a whole run."""
    if not spark_chosen():
        return polars_rescore(model, contacts, activities, as_of=as_of)
    return on_spark(
        "the full rescore",
        KEPT.format("scores"),
        lambda build: rescore(build, model, contacts, activities, as_of=as_of),
    )
