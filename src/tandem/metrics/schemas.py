"""Metrics and figures as JSON (the API and `tandem metrics ... --format json` share these)."""

from datetime import date, datetime
from urllib.parse import urlencode

from pydantic import BaseModel

from tandem.analytics.charts import fmt
from tandem.metrics.spec import Figure, Metric, Part, Window


class MetricOut(BaseModel):
    """A metric's definition."""

    name: str
    label: str
    definition: str
    population: str
    date_by: str | None
    window: str
    unit: str
    dimensions: list[str]
    url: str

    @classmethod
    def of(cls, metric: Metric) -> "MetricOut":
        return cls(
            name=metric.name,
            label=metric.label,
            definition=metric.definition,
            population=metric.population,
            date_by=metric.date_by,
            window=metric.window,
            unit=metric.unit,
            dimensions=list(metric.dimensions),
            url=f"/metrics/{metric.name}",
        )


class PartOut(BaseModel):
    """One breakdown value."""

    value: str
    figure: float | None
    rows: int
    unknown: int

    @classmethod
    def of(cls, part: Part) -> "PartOut":
        return cls(value=part.value, figure=part.figure, rows=part.rows, unknown=part.unknown)


class WindowOut(BaseModel):
    """The days a figure covers (both included) and the moment it was read at."""

    start: date
    last: date
    as_of: datetime


def query(at: Window, filters: dict[str, str], **more: str | None) -> str:
    """The query string naming this window and these filters (for links and the API)."""
    pairs = [("from", f"{at.start:%Y-%m-%d}"), ("to", f"{at.last:%Y-%m-%d}")]
    pairs += [("filter", f"{k}={v}") for k, v in sorted(filters.items())]
    pairs += [(k, v) for k, v in more.items() if v]
    return urlencode(pairs)


class FigureOut(BaseModel):
    """A figure: the value, its window and filters, and what it was computed over."""

    metric: str
    label: str
    unit: str
    value: float | None
    shown: str  # the value as pages show it
    p90_shown: str | None
    window: WindowOut
    window_text: str
    filters: dict[str, str]
    rows: int
    numerator: float | None
    unknown: int
    unknown_text: str
    implied: int
    p90: float | None
    by: str | None
    breakdown: list[PartOut]
    definition_url: str
    records_url: str

    @classmethod
    def of(cls, figure: Figure) -> "FigureOut":
        metric = figure.metric
        q = query(figure.window, figure.filters)
        return cls(
            metric=metric.name,
            label=metric.label,
            unit=metric.unit,
            value=figure.value,
            shown=fmt(figure.value, metric.unit),
            p90_shown=fmt(figure.p90, metric.unit) if figure.p90 is not None else None,
            window=WindowOut(
                start=figure.window.start, last=figure.window.last, as_of=figure.window.as_of
            ),
            window_text=figure.window_text,
            filters=figure.filters,
            rows=figure.rows,
            numerator=figure.numerator,
            unknown=figure.unknown,
            unknown_text=metric.unknown_text,
            implied=figure.implied,
            p90=figure.p90,
            by=figure.by,
            breakdown=[PartOut.of(p) for p in figure.breakdown],
            definition_url=f"/metrics/{metric.name}",
            records_url=f"/metrics/{metric.name}/records?{q}",
        )
