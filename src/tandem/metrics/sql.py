"""A metric as one SQL statement over its relation. Pure.

The statements use only what DuckDB, Spark SQL and PostgreSQL share: ``?`` parameters, CASE,
COUNT/SUM/AVG, epoch-second arithmetic; the one difference, how a percentile is spelt, comes
from the `Dialect`. Aggregates come back raw (rows, numerator, unknown) and the value is
computed in Python (`spec.value_of`), so no engine's integer division or NULL handling decides
a figure.
"""

from dataclasses import dataclass

from tandem.metrics.spec import Count, Mean, Median, Metric, Share, Sum, Window


@dataclass(frozen=True)
class Dialect:
    """How an engine spells a percentile of an expression."""

    name: str
    percentile: str  # a format string with {expr} and {q}


DUCKDB = Dialect("duckdb", "quantile_cont({expr}, {q})")
SPARK = Dialect("spark", "percentile({expr}, {q})")
POSTGRESQL = Dialect("postgresql", "percentile_cont({q}) WITHIN GROUP (ORDER BY {expr})")


@dataclass(frozen=True)
class Statement:
    """SQL text and its positional parameters."""

    text: str
    params: tuple[object, ...]


def _at(text: str, window: Window) -> str:
    """`text` with ``{as_of}`` replaced by the window's moment in epoch seconds."""
    return text.replace("{as_of}", repr(window.as_of.timestamp()))


def _dimension(metric: Metric, name: str) -> str:
    """`name` if it is one of the metric's dimensions: only those reach the SQL text."""
    if name not in metric.dimensions:
        raise ValueError(f"{metric.name} has no dimension {name!r}")
    return name


def _conditions(
    metric: Metric, window: Window, filters: dict[str, str]
) -> tuple[list[str], list[object]]:
    """The WHERE clause's conditions: window, the metric's own condition, dimension values.

    Every identifier in the statements comes from the metric's definition (code) or is one of
    its dimensions (`_dimension`); every value a user gives is a parameter.
    """
    conditions = [f"({_at(metric.where, window)})"]
    params: list[object] = []
    if metric.window == "range":
        conditions.append(f"{metric.date_by} >= ? AND {metric.date_by} < ?")
        params += [window.start_s, window.stop_s]
    for name, value in sorted(filters.items()):
        conditions.append(f"{_dimension(metric, name)} = ?")
        params.append(value)
    return conditions, params


def _aggregates(metric: Metric, window: Window, dialect: Dialect) -> list[str]:
    """rows, numerator, unknown, central, p90 and implied, in that order."""
    measure = metric.measure
    numerator, unknown, central, p90 = "NULL", "0", "NULL", "NULL"
    if isinstance(measure, Sum | Mean):
        numerator = f"SUM({measure.column})"
        unknown = f"SUM(CASE WHEN {measure.column} IS NULL THEN 1 ELSE 0 END)"
        if isinstance(measure, Mean):
            central = f"AVG({measure.column})"
    elif isinstance(measure, Share):
        numerator = f"SUM(CASE WHEN {_at(measure.numerator, window)} THEN 1 ELSE 0 END)"
    elif isinstance(measure, Median):
        expr = _at(measure.expression, window)
        unknown = f"SUM(CASE WHEN ({expr}) IS NULL THEN 1 ELSE 0 END)"
        central = dialect.percentile.format(expr=expr, q=0.5)
        p90 = dialect.percentile.format(expr=expr, q=0.9)
    else:
        assert isinstance(measure, Count)
    implied = f"SUM({_at(metric.implied, window)})" if metric.implied else "0"
    return [
        "COUNT(*) AS n",
        f"{numerator} AS numerator",
        f"{unknown} AS unknown",
        f"{central} AS central",
        f"{p90} AS p90",
        f"{implied} AS implied",
    ]


def figure_sql(
    metric: Metric,
    window: Window,
    filters: dict[str, str],
    by: str | None = None,
    dialect: Dialect = DUCKDB,
) -> Statement:
    """The statement computing `metric` (one row, or one row per value of `by`)."""
    conditions, params = _conditions(metric, window, filters)
    select = _aggregates(metric, window, dialect)
    group = ""
    if by:
        select.insert(0, f"{_dimension(metric, by)} AS value")
        group = f" GROUP BY {by} ORDER BY value"
    text = (
        f"SELECT {', '.join(select)} FROM {metric.population}"  # noqa: S608 - see _conditions
        f" WHERE {' AND '.join(conditions)}{group}"
    )
    return Statement(text, tuple(params))


def undated_sql(metric: Metric, window: Window, filters: dict[str, str]) -> Statement:
    """How many rows pass the metric's condition and filters but have no date to window by."""
    conditions, params = _conditions(metric, window, filters)
    conditions[1] = f"{metric.date_by} IS NULL"
    params = params[2:]
    return Statement(
        f"SELECT COUNT(*) FROM {metric.population} WHERE {' AND '.join(conditions)}",  # noqa: S608
        tuple(params),
    )


def records_sql(
    metric: Metric,
    window: Window,
    filters: dict[str, str],
    id_column: str,
    *,
    limit: int | None,
    offset: int = 0,
) -> Statement:
    """The rows that make up `metric`'s figure: its id, its listed columns and, for a share,
    whether the row counts in the numerator. Newest first by the window's date."""
    conditions, params = _conditions(metric, window, filters)
    columns = [id_column, *metric.columns]
    if isinstance(metric.measure, Share):
        counted = _at(metric.measure.numerator, window)
        columns.append(f"CASE WHEN {counted} THEN 1 ELSE 0 END AS counted")
    if isinstance(metric.measure, Median):
        columns.append(f"{_at(metric.measure.expression, window)} AS measured")
    order = f"{metric.date_by} DESC, " if metric.date_by else ""
    text = (
        f"SELECT {', '.join(columns)} FROM {metric.population}"  # noqa: S608 - see _conditions
        f" WHERE {' AND '.join(conditions)} ORDER BY {order}{id_column}"
    )
    if limit is not None:
        text += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return Statement(text, tuple(params))
