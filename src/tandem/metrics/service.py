"""Figures and their records, by metric name: what pages, the API, the review and the CLI call.

Every figure Tandem shows comes from `figure` (one metric, one window, one set of filters), and
every drill-down list from `records` with the same arguments, so the list's length is the
figure's population by construction.
"""

import difflib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache

from tandem.analytics.query import MAX_RANGE_DAYS, default_range
from tandem.capabilities import metric_definitions
from tandem.errors import Invalid
from tandem.metrics import sql
from tandem.metrics.engine import Engine
from tandem.metrics.spec import (
    Figure,
    Metric,
    Part,
    UnknownMetric,
    Window,
    check_filters,
    value_of,
)

#: Longest window a figure takes: the dashboards' longest range.
MAX_WINDOW_DAYS = MAX_RANGE_DAYS
#: Longest page of a drill-down list.
MAX_PAGE = 1000


@cache
def registry() -> dict[str, Metric]:
    """Every metric by name (names are unique across capabilities)."""
    found: dict[str, Metric] = {}
    for metric in metric_definitions():
        if metric.name in found:
            raise RuntimeError(f"two metrics are called {metric.name!r}")
        found[metric.name] = metric
    return found


def metric(name: str) -> Metric:
    """The metric called `name`, or an error naming the close ones."""
    metrics = registry()
    if name in metrics:
        return metrics[name]
    close = difflib.get_close_matches(name, metrics, n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise UnknownMetric(
        f"no metric called {name!r}; {hint}`tandem metrics list` shows all "
        f"{len(metrics)} ({', '.join(sorted(metrics)[:8])}, ...)"
    )


def window(first: date | None, last: date | None, as_of: datetime) -> Window:
    """The window from `first` to `last` (both included); missing ends take the dashboards'
    default (the twelve months up to and including `as_of`'s day)."""
    default_start, default_end = default_range(as_of)
    start = first or default_start
    if last is not None and (last - start).days >= MAX_WINDOW_DAYS:
        raise Invalid(f"the window is over {MAX_WINDOW_DAYS:,} days ({start} to {last})")
    end = last + timedelta(days=1) if last else default_end
    if end <= start:
        raise Invalid(f"the window ends ({end - timedelta(days=1)}) before it starts ({start})")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise Invalid(f"the window is {(end - start).days:,} days; at most {MAX_WINDOW_DAYS:,}")
    return Window(start, end, as_of)


def _check(
    engine: Engine, chosen: Metric, filters: dict[str, str], by: str | None, strict: bool = True
) -> None:
    # Values are read only for real dimensions: a made-up name never reaches the SQL.
    known = {
        n: engine.known(chosen.population, n) if strict else [v]
        for n, v in filters.items()
        if n in chosen.dimensions
    }
    check_filters(chosen, filters, by, known)


def _figure(chosen: Metric, at: Window, filters: dict[str, str], values: tuple) -> Figure:
    """A figure from its aggregates (`sql.AGGREGATES`, in order)."""
    n, numerator, unknown, central, p90, implied, undated, denominator = values
    rows = int(n or 0)
    return Figure(
        metric=chosen,
        window=at,
        filters=filters,
        value=value_of(chosen.measure, rows, numerator, central, denominator),
        rows=rows,
        numerator=numerator,
        denominator=denominator,
        unknown=int(unknown or 0) + int(undated or 0),
        implied=int(implied or 0),
        p90=p90,
    )


def figures(
    engine: Engine,
    names: list[str] | tuple[str, ...],
    at: Window,
    filters: dict[str, str] | None = None,
    *,
    strict: bool = True,
) -> dict[str, Figure]:
    """Several metrics over one window and filters, by name: one scan per population.

    A filter value no record of the population has is refused, naming the values there are,
    unless `strict` is False: a dashboard filter checked against the whole workspace (a
    channel with contacts but no deal yet is a real zero there).
    """
    filters = dict(filters or {})
    chosen = [metric(n) for n in dict.fromkeys(names)]
    by_population: dict[str, list[Metric]] = {}
    for m in chosen:
        _check(engine, m, filters, None, strict)
        by_population.setdefault(m.population, []).append(m)
    out: dict[str, Figure] = {}
    width = len(sql.AGGREGATES)
    for population, group in by_population.items():
        statement = sql.figures_sql(group, at, filters, dialect=engine.dialect)
        [row] = engine.rows(population, statement)
        for i, m in enumerate(group):
            out[m.name] = _figure(m, at, filters, row[i * width : (i + 1) * width])
    return out


def breakdowns(
    engine: Engine,
    names: list[str] | tuple[str, ...],
    at: Window,
    by: str,
    filters: dict[str, str] | None = None,
    *,
    strict: bool = True,
) -> dict[str, list[Part]]:
    """Several metrics of one population broken down by `by`, in one scan: by name, the
    values of `by` that have rows (or unknowns) in the window, in order."""
    filters = dict(filters or {})
    chosen = [metric(n) for n in dict.fromkeys(names)]
    for m in chosen:
        _check(engine, m, filters, by, strict)
    statement = sql.figures_sql(chosen, at, filters, by, dialect=engine.dialect)
    width = len(sql.AGGREGATES)
    out: dict[str, list[Part]] = {m.name: [] for m in chosen}
    for value, *aggregates in engine.rows(chosen[0].population, statement):
        for i, m in enumerate(chosen):
            part = _figure(m, at, filters, tuple(aggregates[i * width : (i + 1) * width]))
            if part.rows or part.unknown:
                out[m.name].append(
                    Part(
                        value=str(value),
                        figure=part.value,
                        rows=part.rows,
                        numerator=part.numerator,
                        unknown=part.unknown,
                    )
                )
    return out


def figure(
    engine: Engine,
    name: str,
    at: Window,
    filters: dict[str, str] | None = None,
    by: str | None = None,
    *,
    strict: bool = True,
) -> Figure:
    """Metric `name` over window `at` with `filters`, broken down by `by` when given (see
    `figures` for `strict`)."""
    found = figures(engine, [name], at, filters, strict=strict)[name]
    if not by:
        return found
    parts = breakdowns(engine, [name], at, by, found.filters, strict=strict)[name]
    return replace(found, by=by, breakdown=parts)


@dataclass(frozen=True)
class Records:
    """One page of the rows behind a figure."""

    metric: Metric
    columns: list[str]
    rows: list[tuple]
    total: int
    offset: int


def records(
    engine: Engine,
    name: str,
    at: Window,
    filters: dict[str, str] | None = None,
    *,
    limit: int | None = 100,
    offset: int = 0,
) -> Records:
    """The rows making up metric `name`'s figure (a page of them; `limit=None`: all)."""
    from tandem.analytics.relations import relations

    chosen = metric(name)
    filters = dict(filters or {})
    _check(engine, chosen, filters, None)
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit must be from 1 to {MAX_PAGE}")
    if offset < 0:
        raise Invalid("offset must not be negative")
    id_column = relations()[chosen.population][1]
    total = figures(engine, [name], at, filters)[name].rows
    statement = sql.records_sql(chosen, at, filters, id_column, limit=limit, offset=offset)
    columns, rows = engine.columns(chosen.population, statement)
    moments = [i for i, c in enumerate(columns) if c.endswith("_s")]
    rows = [_with_moments(row, moments) for row in rows]
    columns = [f"{c[:-2]}_at" if i in moments else c for i, c in enumerate(columns)]
    return Records(chosen, columns, rows, total, offset)


def _with_moments(row: tuple, moments: list[int]) -> tuple:
    """Epoch-second columns (``*_s``) as UTC datetimes, for people and CSV files."""
    values = list(row)
    for i in moments:
        if values[i] is not None:
            values[i] = datetime.fromtimestamp(values[i], UTC)
    return tuple(values)
