"""A metric as one SQL statement over its relation. Pure.

The statements use only what DuckDB, Spark SQL and PostgreSQL share: ``?`` parameters, CASE,
COUNT/SUM/AVG, epoch-second arithmetic; the one difference, how a percentile is spelt, comes
from the `Dialect`. Each metric's aggregates are restricted to its own condition and window by
CASE, so the figures of one page that count the same relation share one scan. Aggregates come
back raw (rows, numerator, unknown) and the value is computed in Python (`spec.value_of`), so no
engine's integer division or NULL handling decides a figure.
"""

from dataclasses import dataclass

from tandem.metrics.spec import Count, Mean, Median, Metric, Ratio, Share, Sum, Window


@dataclass(frozen=True)
class Dialect:
    """How an engine spells what SQL engines spell differently: a percentile of an expression
    and, for the portable rescore and roll-ups (`tandem.engines`), integer division, a regex
    search, a JSON field as text, a quoted column name and a string literal."""

    name: str
    percentile: str  # a format string with {expr} and {q}
    int_div: str = "({a} // {b})"
    regex: str = "regexp_matches({text}, {pattern})"
    json_text: str = "json_extract_string({json}, {path})"
    quote: str = '"'
    #: Whether a backslash in a string literal escapes the next character (Spark SQL's does).
    backslash_escapes: bool = False
    #: An aggregate: the values of {expr} as an array ordered by {order} (attribution paths).
    ordered_list: str = "list({expr} ORDER BY {order})"

    def column(self, name: str) -> str:
        """`name` as a quoted identifier (names like ``contact.job_level`` hold a dot)."""
        q = self.quote
        return q + name.replace(q, q + q) + q

    def string(self, text: str) -> str:
        """`text` as a string literal."""
        if self.backslash_escapes:  # there, '' would be two adjacent literals, joined
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + text.replace("'", "''") + "'"


DUCKDB = Dialect("duckdb", "quantile_cont({expr}, {q})")
SPARK = Dialect(
    "spark",
    "percentile({expr}, {q})",
    int_div="({a} div {b})",
    regex="rlike({text}, {pattern})",
    json_text="get_json_object({json}, {path})",
    quote="`",
    backslash_escapes=True,
    ordered_list="transform(array_sort(collect_list(named_struct('o', {order}, 'v', {expr}))), "
    "x -> x.v)",
)
POSTGRESQL = Dialect(
    "postgresql",
    "percentile_cont({q}) WITHIN GROUP (ORDER BY {expr})",
    int_div="({a} / {b})",
    regex="({text} ~ {pattern})",
    json_text="({json}::json #>> string_to_array(substr({path}, 3), '.'))",
    ordered_list="array_agg({expr} ORDER BY {order})",
)


@dataclass(frozen=True)
class Statement:
    """SQL text and its positional parameters."""

    text: str
    params: tuple[object, ...]


def _at(text: str, window: Window) -> str:
    """`text` with ``{as_of}``, ``{start}`` and ``{stop}`` replaced by the window's moment,
    start and where counting stops, in epoch seconds (numbers computed here)."""
    return (
        text.replace("{as_of}", repr(window.as_of.timestamp()))
        .replace("{start}", repr(window.start_s))
        .replace("{stop}", repr(window.stop_s))
    )


def _dimension(metric: Metric, name: str) -> str:
    """`name` if it is one of the metric's dimensions: only those reach the SQL text."""
    if name not in metric.dimensions:
        raise ValueError(f"{metric.name} has no dimension {name!r}")
    return name


def _scope(metric: Metric, window: Window) -> str:
    """The metric's own condition and, for a ranged figure, its window. The bounds are written
    in: they are numbers computed here, never text a user gave."""
    scope = f"({_at(metric.where, window)})"
    if metric.window == "range":
        column = metric.date_by
        scope += f" AND {column} >= {window.start_s!r} AND {column} < {window.stop_s!r}"
    return scope


def _filters(metrics: list[Metric], filters: dict[str, str]) -> tuple[str, list[object]]:
    """The dimension values every row must have, as a WHERE clause and its parameters.

    Every identifier in the statements comes from the metrics' definitions (code) or is one of
    their dimensions (`_dimension`); every value a user gives is a parameter.
    """
    conditions, params = ["TRUE"], []
    for name, value in sorted(filters.items()):
        for m in metrics:
            _dimension(m, name)
        conditions.append(f"{name} = ?")
        params.append(value)
    return " AND ".join(conditions), params


#: The aggregates each metric contributes to a statement, in this order.
AGGREGATES = ("n", "numerator", "unknown", "central", "p90", "implied", "undated", "denominator")


def _aggregates(metric: Metric, window: Window, dialect: Dialect) -> list[str]:
    """One metric's aggregates, each restricted to its own scope by CASE, so that several
    metrics of one population share one scan."""
    scope = _scope(metric, window)

    def within(value: str) -> str:
        return f"CASE WHEN {scope} THEN {value} END"

    def count(extra: str | None = None, base: str = scope) -> str:
        condition = base if extra is None else f"{base} AND ({extra})"
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    measure = metric.measure
    numerator, unknown, central, p90, denominator = "NULL", "0", "NULL", "NULL", "NULL"
    if isinstance(measure, Sum | Mean):
        numerator = f"SUM({within(measure.column)})"
        unknown = count(f"{measure.column} IS NULL")
        if isinstance(measure, Mean):
            central = f"AVG({within(measure.column)})"
    elif isinstance(measure, Share):
        numerator = count(_at(measure.numerator, window))
    elif isinstance(measure, Ratio):
        numerator = f"SUM({within(_at(measure.numerator, window))})"
        denominator = f"SUM({within(_at(measure.denominator, window))})"
    elif isinstance(measure, Median):
        expr = _at(measure.expression, window)
        unknown = count(f"({expr}) IS NULL")
        central = dialect.percentile.format(expr=within(expr), q=0.5)
        p90 = dialect.percentile.format(expr=within(expr), q=0.9)
    else:
        assert isinstance(measure, Count)
    implied = f"SUM({within(_at(metric.implied, window))})" if metric.implied else "0"
    # Rows with no date at all are in no window: said as unknown where the date should exist.
    undated = (
        count(f"{metric.date_by} IS NULL", f"({_at(metric.where, window)})")
        if metric.undated_unknown
        else "0"
    )
    return [count(), numerator, unknown, central, p90, implied, undated, denominator]


def figures_sql(
    metrics: list[Metric],
    window: Window,
    filters: dict[str, str],
    by: str | None = None,
    dialect: Dialect = DUCKDB,
) -> Statement:
    """One statement computing every metric of `metrics` (all of one population) in one
    scan: one row, or one row per value of `by`, with `AGGREGATES` per metric in order."""
    population = metrics[0].population
    assert all(m.population == population for m in metrics), "one population per statement"
    where, params = _filters(metrics, filters)
    select = [a for m in metrics for a in _aggregates(m, window, dialect)]
    group = ""
    if by:
        select.insert(0, f"{_dimension(metrics[0], by)} AS value")
        group = f" GROUP BY {by} ORDER BY value"
    text = f"SELECT {', '.join(select)} FROM {population} WHERE {where}{group}"  # noqa: S608
    return Statement(text, tuple(params))


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
    where, params = _filters([metric], filters)
    columns = [id_column, *metric.columns]
    if isinstance(metric.measure, Share):
        counted = _at(metric.measure.numerator, window)
        columns.append(f"CASE WHEN {counted} THEN 1 ELSE 0 END AS counted")
    if isinstance(metric.measure, Median):
        columns.append(f"{_at(metric.measure.expression, window)} AS measured")
    order = f"{metric.date_by} DESC, " if metric.date_by else ""
    text = (
        f"SELECT {', '.join(columns)} FROM {metric.population}"  # noqa: S608 - see _filters
        f" WHERE {_scope(metric, window)} AND {where} ORDER BY {order}{id_column}"
    )
    if limit is not None:
        text += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return Statement(text, tuple(params))
