"""Chart and table specs: how a view-model is drawn, by Plotly in the page or as SVG in a PDF.

One spec, two renderers, so the browser and the PDF always show the same series.
"""

from typing import Literal

from pydantic import BaseModel

Unit = Literal["count", "money", "percent", "days", "hours"]


class Series(BaseModel):
    name: str
    values: list[float | None]


class Chart(BaseModel):
    """Bars (grouped or stacked) over categories, optionally with a target line."""

    id: str
    title: str
    kind: Literal["bar", "stacked", "hbar"] = "bar"
    categories: list[str]
    series: list[Series]
    unit: Unit = "count"
    target: Series | None = None

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to draw (no category or every value zero/missing)."""
        return not self.categories or not any(v for s in self.series for v in s.values)


class Table(BaseModel):
    """A pre-formatted table; `numeric` marks right-aligned columns."""

    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    links: list[list[str | None]] | None = None  # a cell's drill-down, same shape as `rows`


class Panel(BaseModel):
    """One section of a dashboard or report: a chart and/or a table, or a plain sentence."""

    title: str
    chart: Chart | None = None
    table: Table | None = None
    empty: str | None = None  # said instead of an empty chart


def fmt(value: float | None, unit: Unit) -> str:
    """A number as people read it; a dash for a value that does not exist."""
    if value is None:
        return "–"
    if unit == "money":
        return f"{value:,.0f}"
    if unit == "percent":
        return f"{100 * value:.1f}%"
    if unit == "days":
        return f"{value:.1f} d"
    if unit == "hours":
        return f"{value:.1f} h"
    return f"{value:,.0f}"


def label(stage: str) -> str:
    """Display name of a stage, deal type or dimension value."""
    return stage.upper() if stage in {"mql", "sal", "sql"} else stage.replace("_", " ").capitalize()


def table(columns: list[str], rows: list[list[object]], units: list[Unit | None]) -> Table:
    """Format raw rows by column unit (None: text)."""
    return Table(
        columns=columns,
        rows=[
            [fmt(v, u) if u else str(v) for v, u in zip(row, units, strict=True)]  # type: ignore[arg-type]
            for row in rows
        ],
        numeric=[u is not None for u in units],
    )


def panel(title: str, chart: Chart | None, tab: Table | None, empty: str) -> Panel:
    """A panel that says `empty` instead of drawing a chart with nothing in it."""
    if chart is not None and chart.is_empty:
        return Panel(title=title, table=None, empty=empty)
    return Panel(title=title, chart=chart, table=tab)
