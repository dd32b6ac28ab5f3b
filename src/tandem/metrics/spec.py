"""What a metric is: defined once, as data, so every page, the API and the CLI agree. Pure.

A `Metric` names a population (a relation: contacts, deals, handoffs, answers), the date its
window counts by, a condition, and a measure over the rows that pass (a count, a sum, a share,
a median). The SQL that computes it comes from `tandem.metrics.sql`, so any engine that speaks
SQL over the same relations (DuckDB on the columnar copy today, a warehouse tomorrow) gives the
same number.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from tandem.errors import Invalid, NotFound

Unit = Literal["count", "money", "percent", "days", "hours"]
WindowKind = Literal["range", "as_of", "cohort"]


@dataclass(frozen=True)
class Count:
    """How many rows pass."""


@dataclass(frozen=True)
class Sum:
    """The total of `column` over the rows that have it; rows without it are counted unknown."""

    column: str


@dataclass(frozen=True)
class Mean:
    """The average of `column` over the rows that have it; rows without it are unknown."""

    column: str


@dataclass(frozen=True)
class Share:
    """The share of rows for which `numerator` (an SQL condition) holds."""

    numerator: str


@dataclass(frozen=True)
class Median:
    """The median (and 90th percentile) of `expression` over rows where it is known."""

    expression: str


@dataclass(frozen=True)
class Ratio:
    """The sum of `numerator` over the sum of `denominator` (both SQL expressions) over the
    rows that pass: a ratio of sums, such as retained over starting revenue. None when the
    denominator sums to nothing."""

    numerator: str
    denominator: str


Measure = Count | Sum | Mean | Share | Median | Ratio


@dataclass(frozen=True)
class Metric:
    """One figure, defined once.

    `date_by` is the column (epoch seconds) the window applies to, `dated` says it in words;
    None for a figure read at one moment (`window="as_of"`, e.g. open pipeline). With
    `undated_unknown`, a row with no date at all is counted unknown (a deal whose creation date
    the import did not have) rather than simply outside the window (a contact never an MQL).
    `where` is an SQL condition over the relation's columns in which ``{as_of}`` stands for
    the moment the figure is read at. A `window="cohort"` figure follows the rows that hold at
    the window's start to where they are at its end: no date filter applies, and `where` uses
    ``{start}`` and ``{stop}`` (epoch seconds) to pick them (revenue retention).
    """

    name: str
    label: str
    definition: str
    population: str
    measure: Measure
    unit: Unit
    date_by: str | None
    dimensions: tuple[str, ...]
    where: str = "TRUE"
    dated: str = ""
    undated_unknown: bool = False
    window: WindowKind = "range"
    record: Literal["contact", "deal", "handoff", "transition", "account"] = "contact"
    #: Columns the drill-down list shows, after the record's id.
    columns: tuple[str, ...] = ()
    #: An SQL 0/1 expression counting rows whose stage was implied, not observed (funnel).
    implied: str | None = None
    #: What rows left out of the measure are called ("unknown" amounts, "not touched yet").
    unknown_text: str = "unknown"

    @property
    def window_text(self) -> str:
        """What the window means for this figure, in words."""
        if self.window == "as_of":
            return "at the moment shown"
        if self.window == "cohort":
            return f"from the window's start to its end ({self.dated})"
        return f"by {self.dated}"


@dataclass(frozen=True)
class Window:
    """Days ``[start, end)`` read at `as_of`; what counts stops at ``min(end, as_of)``."""

    start: date
    end: date
    as_of: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise Invalid(
                f"the window ends ({self.last:%Y-%m-%d}) before it starts ({self.start:%Y-%m-%d})"
            )

    @property
    def last(self) -> date:
        """The last day included."""
        return self.end - timedelta(days=1)

    @property
    def start_s(self) -> float:
        """Start as epoch seconds."""
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC).timestamp()

    @property
    def stop_s(self) -> float:
        """Where counting stops, as epoch seconds: the end, or `as_of` when earlier."""
        end = datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC).timestamp()
        return min(end, self.as_of.timestamp())

    @property
    def text(self) -> str:
        """The window as pages show it (both days included)."""
        return f"{self.start:%Y-%m-%d} to {self.last:%Y-%m-%d}"


@dataclass(frozen=True)
class Figure:
    """A metric's value in one window and filter set, with what it was computed from."""

    metric: Metric
    window: Window
    filters: dict[str, str]
    value: float | None
    rows: int  # the population: rows in the window that pass the metric's condition
    numerator: float | None = None  # a share's counted rows, a sum's total
    denominator: float | None = None  # a ratio's denominator summed
    unknown: int = 0  # rows left out because the measured value is unknown
    implied: int = 0  # rows whose stage was implied by a later one, not observed
    p90: float | None = None
    by: str | None = None
    breakdown: list["Part"] = field(default_factory=list)

    @property
    def window_text(self) -> str:
        """The window the figure covers, in words."""
        if self.metric.window == "as_of":
            return f"as of {self.window.as_of:%Y-%m-%d %H:%M} UTC"
        return self.window.text


@dataclass(frozen=True)
class Part:
    """One value of a breakdown dimension and its figure."""

    value: str
    figure: float | None
    rows: int
    numerator: float | None = None
    unknown: int = 0


class UnknownMetric(NotFound):
    """No metric by that name."""


def value_of(
    measure: Measure,
    rows: int,
    numerator: float | None,
    central: float | None,
    denominator: float | None = None,
) -> float | None:
    """A measure's value from its SQL aggregates (None where it does not exist)."""
    if isinstance(measure, Count):
        return float(rows)
    if isinstance(measure, Sum):
        return float(numerator or 0.0)
    if isinstance(measure, Share):
        return (numerator or 0.0) / rows if rows else None
    if isinstance(measure, Ratio):
        return (numerator or 0.0) / denominator if denominator else None
    return central  # Mean and Median come out of SQL whole (None over no known value)


def check_filters(
    metric: Metric, filters: dict[str, str], by: str | None, known: dict[str, list[str]]
) -> None:
    """Refuse a dimension the metric does not break down by, or a value with no records."""
    for name in [*filters, *([by] if by else [])]:
        if name not in metric.dimensions:
            allowed = ", ".join(metric.dimensions) or "none"
            raise Invalid(f"{metric.name} has no dimension {name!r} (allowed: {allowed})")
    for name, value in filters.items():
        values = known.get(name, [])
        if value not in values:
            shown = ", ".join(values[:20]) + (" ..." if len(values) > 20 else "")
            raise Invalid(f"no {metric.population} have {name}={value!r} (values: {shown})")
