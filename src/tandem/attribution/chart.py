"""The models-side-by-side chart as server-side SVG geometry (no script, so the CSP holds).

One line per row (campaign, channel, asset...): a dot per model on a shared money axis and a
bar from the smallest to the largest credit, so the rows where the models disagree most
stand out as the longest bars.
"""

from dataclasses import dataclass
from decimal import Decimal

from tandem.attribution.schemas import Breakdown, ModelInfo

PALETTE = (
    "#3454d1", "#2f9e6f", "#d1663a", "#8e5bd1", "#c9a227",
    "#5b8fa8", "#b42318", "#1d2433", "#e377c2", "#17becf",
)  # fmt: skip
LABEL_WIDTH, PLOT_WIDTH, RIGHT, TOP, ROW_HEIGHT = 230, 520, 30, 30, 26


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    color: str
    title: str


@dataclass(frozen=True, slots=True)
class ChartRow:
    y: float
    label: str
    x_min: float
    x_max: float
    dots: tuple[Dot, ...]
    look_here: bool


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    rows: tuple[ChartRow, ...]
    ticks: tuple[tuple[float, str], ...]  # (x, label)
    legend: tuple[tuple[str, str], ...]  # (color, model label)
    plot_left: int
    plot_right: int


def _nice_top(value: Decimal) -> float:
    """The smallest 1, 2 or 5 x 10^k at or above `value` (a readable axis end)."""
    top = float(value)
    if top <= 0:
        return 1.0
    scale = 10 ** (len(str(int(top))) - 1)
    for step in (1, 2, 5, 10):
        if step * scale >= top:
            return float(step * scale)
    return float(10 * scale)


def _money(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


def dot_chart(breakdown: Breakdown, models: list[ModelInfo], *, limit: int = 12) -> Chart:
    """Geometry of the chart for the `limit` largest rows of `breakdown`."""
    rows = breakdown.rows[:limit]
    top = _nice_top(max((max(r.credits.values()) for r in rows), default=Decimal("0")))
    colors = {m.name: PALETTE[i % len(PALETTE)] for i, m in enumerate(models)}

    def x(value: Decimal) -> float:
        return round(LABEL_WIDTH + PLOT_WIDTH * float(value) / top, 1)

    built = []
    for index, row in enumerate(rows):
        values = [row.credits[m.name] for m in models]
        built.append(
            ChartRow(
                y=TOP + ROW_HEIGHT * index + ROW_HEIGHT / 2,
                label=row.label if len(row.label) <= 32 else row.label[:31] + "…",
                x_min=x(min(values)),
                x_max=x(max(values)),
                dots=tuple(
                    Dot(
                        x(row.credits[m.name]),
                        colors[m.name],
                        f"{m.label}: {row.credits[m.name]:,}",
                    )
                    for m in models
                ),
                look_here=row.look_here,
            )
        )
    return Chart(
        width=LABEL_WIDTH + PLOT_WIDTH + RIGHT,
        height=TOP + ROW_HEIGHT * len(rows) + 10,
        rows=tuple(built),
        ticks=tuple((LABEL_WIDTH + PLOT_WIDTH * k / 4, _money(top * k / 4)) for k in range(5)),
        legend=tuple((colors[m.name], m.label) for m in models),
        plot_left=LABEL_WIDTH,
        plot_right=LABEL_WIDTH + PLOT_WIDTH,
    )
