"""The scoring backtest's replay on any engine: every contact's scores at each cut-off date,
by the full-rescore SQL of `rescore_sql` bounded at that date (an activity after it has a
negative age and does not count), in one statement: the activities are crossed with the
relation of cut-offs once, and each behaviour rule scored per contact and cut-off. Pure.

The result is `tandem.scoring.grid.score_grid`'s frame, row for row
(tests/metrics/test_engines_backtest.py holds them equal): the same contacts (those whose best
possible score could meet the loosest rule tested, `floor`), so the backtest and the threshold
sweep read it unchanged, their arithmetic (first crossings, outcomes, lift, precision, recall)
in process on this small result.
"""

# ruff: noqa: S608  (SQL text built from a validated model: values are quoted by the Dialect)
from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl

from tandem.engines.rescore_sql import activity_condition, behaviour_sql, fit_sql
from tandem.engines.run import EngineFactory, on_spark, spark_chosen
from tandem.metrics.sql import Dialect, Statement
from tandem.scoring.backtest import History, Replay, grid_dates, replay
from tandem.scoring.engine import epoch_us
from tandem.scoring.model import MqlRule, ScoringModel
from tandem.scoring.rescore import as_lazy, filter_columns, prepare_activities

RELATIONS = ("people", "acts", "cutoffs")


def _candidates(
    model: ScoringModel, acts: pl.Schema, end_us: int, floor: MqlRule, fit: str, d: Dialect
) -> str:
    """contact_id of the contacts that could meet `floor` at some date up to `end_us`: fit
    plus, per positive behaviour rule, at most its cap or its points for every match
    (`grid._candidates`'s bound)."""
    bounds = []
    for rule in model.behaviour_rules:
        if rule.points <= 0:
            continue
        most = f"COUNT(*) * {round(rule.points * 100)}"
        if rule.cap is not None:
            most = f"least({most}, {round(rule.cap * 100)})"
        bounds.append(
            f"SELECT contact_id, CAST({most} AS BIGINT) AS m FROM acts"
            f" WHERE t <= {end_us} AND {activity_condition(rule, acts, d)}"
            " GROUP BY contact_id"
        )
    union = " UNION ALL ".join(f"({b})" for b in bounds) or (
        "SELECT contact_id, CAST(0 AS BIGINT) AS m FROM people WHERE FALSE"
    )
    most = (
        "SELECT s.contact_id, s.fit_cents, COALESCE(b.m, 0) AS eng_max FROM"
        f" ({fit}) s LEFT JOIN (SELECT contact_id, SUM(m) AS m FROM ({union}) u"
        " GROUP BY contact_id) b ON s.contact_id = b.contact_id"
    )
    checks = ["TRUE"]
    for threshold, column in (
        (floor.fit, "fit_cents"),
        (floor.engagement, "eng_max"),
        (floor.total, "fit_cents + eng_max"),
    ):
        if threshold is not None:
            checks.append(f"{column} >= {round(threshold * 100)}")
    return f"SELECT contact_id FROM ({most}) c WHERE {' AND '.join(checks)}"


def _fit(model: ScoringModel, people: pl.Schema, d: Dialect) -> str:
    """contact_id, fit_cents of every contact (fit uses today's fields, at every date)."""
    fits = " UNION ALL ".join(f"({fit_sql(r, people, d)})" for r in model.fit_rules) or (
        "SELECT contact_id, CAST(0 AS BIGINT) AS cents FROM people WHERE FALSE"
    )
    return (
        "SELECT people.contact_id, CAST(COALESCE(f.cents, 0) AS BIGINT) AS fit_cents FROM people"
        f" LEFT JOIN (SELECT contact_id, SUM(cents) AS cents FROM ({fits}) p GROUP BY contact_id)"
        " f ON people.contact_id = f.contact_id"
    )


def grid_statement(
    model: ScoringModel,
    people: pl.Schema,
    acts: pl.Schema,
    end_us: int,
    floor: MqlRule | None,
    d: Dialect,
) -> Statement:
    """contact_id, fit_cents, engagement_cents, k, total_cents: the scores as of every cut-off
    of the relation `cutoffs` (k, as_of_us), each activity crossed with the cut-offs after it
    and scored by `rescore_sql.behaviour_sql` per contact and cut-off. With `floor`, only the
    contacts of the relation `keep` (`candidates_statement`'s rows, computed first)."""
    fit = _fit(model, people, d)
    # Only the floor's candidates are scored: their activities are crossed with the cut-offs.
    kept = "" if floor is None else " WHERE {} IN (SELECT contact_id FROM keep)"
    whose = kept.format("contact_id")
    crossed = (
        "(SELECT a.*, c.k, c.as_of_us FROM acts a CROSS JOIN cutoffs c"
        f"{kept.format('a.contact_id')}) x"
    )
    behaviour = (
        " UNION ALL ".join(
            f"({behaviour_sql(r, acts, 'as_of_us', d, source=crossed, key='k')})"
            for r in model.behaviour_rules
        )
        or "SELECT contact_id, 0 AS k, CAST(0 AS BIGINT) AS cents FROM people WHERE FALSE"
    )
    engagement = (
        f"SELECT contact_id, k, SUM(cents) AS cents FROM ({behaviour}) b GROUP BY contact_id, k"
    )
    grid = (
        "SELECT f.contact_id, f.fit_cents, CAST(COALESCE(e.cents, 0) AS BIGINT)"
        " AS engagement_cents, c.k, f.fit_cents + COALESCE(e.cents, 0) AS total_cents"
        f" FROM (SELECT * FROM ({fit}) p{whose}) f CROSS JOIN cutoffs c"
        f" LEFT JOIN ({engagement}) e ON e.contact_id = f.contact_id AND e.k = c.k"
    )
    return Statement(grid, ())


def candidates_statement(
    model: ScoringModel, people: pl.Schema, acts: pl.Schema, end_us: int, floor: MqlRule, d: Dialect
) -> Statement:
    """contact_id of the floor's candidates: the relation `keep` the grid reads."""
    return Statement(_candidates(model, acts, end_us, floor, _fit(model, people, d), d), ())


def cutoffs_frame(dates: Sequence[datetime]) -> pl.DataFrame:
    """The relation `cutoffs`: k (the grid index) and as_of_us of each date."""
    return pl.DataFrame(
        {"k": range(len(dates)), "as_of_us": [epoch_us(m) for m in dates]},
        schema={"k": pl.Int32, "as_of_us": pl.Int64},
    )


def grid(
    build: EngineFactory,
    model: ScoringModel,
    history: History,
    dates: Sequence[datetime],
    *,
    floor: MqlRule | None = None,
) -> pl.DataFrame:
    """`score_grid`'s frame, computed by the engine `build` makes."""
    people = as_lazy(history.contacts).collect()
    acts, _ = prepare_activities(as_lazy(history.activities), filter_columns(model))
    acts = acts.collect()
    cutoffs = cutoffs_frame(dates)
    # The candidates are computed first and read back as a relation: one small scan, instead of
    # the same subquery planned again under every rule.
    kept: dict[str, pl.DataFrame] = {}
    relations = {"people": lambda: people, "acts": lambda: acts, "cutoffs": lambda: cutoffs}
    engine = build({**relations, "keep": lambda: kept["keep"]})
    end_us = epoch_us(max(dates))
    schemas = (people.schema, acts.schema)
    names = RELATIONS
    if floor is not None:
        ids = engine.arrow(
            RELATIONS, candidates_statement(model, *schemas, end_us, floor, engine.dialect)
        )
        kept["keep"] = pl.DataFrame(pl.from_arrow(ids))
        names = (*RELATIONS, "keep")
    statement = grid_statement(model, *schemas, end_us, floor, engine.dialect)
    found = pl.from_arrow(engine.arrow(names, statement))
    assert isinstance(found, pl.DataFrame)
    return found.select(
        pl.col("contact_id").cast(people.schema["contact_id"]),
        pl.col("fit_cents").cast(pl.Int64),
        pl.col("engagement_cents").cast(pl.Int64),
        pl.col("k").cast(pl.Int32),
        pl.col("total_cents").cast(pl.Int64),
    )


def chosen_replay(
    model: ScoringModel,
    history: History,
    *,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(days=7),
    floor: MqlRule | None = None,
) -> Replay:
    """`backtest.replay` on the engine chosen at start: Polars in this process by default,
    the grid SQL on Spark with ``TANDEM_ANALYTICS_ENGINE=spark`` (`EngineFailed` there)."""
    if not spark_chosen():
        return replay(model, history, start=start, end=end, step=step, floor=floor)
    dates = grid_dates(start, end, step)
    found = on_spark(
        "the scoring backtest",
        "nothing was stored, no report was made",
        lambda build: grid(build, model, history, dates, floor=floor),
    )
    return Replay(dates, found)
