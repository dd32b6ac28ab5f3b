"""Charts as static SVG for the PDF and email (WeasyPrint runs no JavaScript). Pure.

Horizontal bars keep long category labels readable and need no axis rotation; grouped series
sit side by side within a category, stacked series end to end.
"""

from html import escape

from tandem.analytics.charts import Chart, fmt

PALETTE = ("#3454d1", "#2f9e6f", "#d1663a", "#8e5bd1", "#c9a227", "#5b8fa8")
WIDTH, LABEL_W, VALUE_W, BAR_H, GAP = 640, 150, 80, 14, 8


def render_svg(chart: Chart) -> str:
    """An SVG element drawing `chart` as horizontal bars with values and a legend."""
    stacked = chart.kind == "stacked"
    per_cat = 1 if stacked else len(chart.series)
    row_h = per_cat * BAR_H + GAP
    legend_h = 20 if len(chart.series) > 1 or chart.target else 0
    height = legend_h + row_h * len(chart.categories) + 6
    totals = [
        sum(s.values[i] or 0 for s in chart.series)
        if stacked
        else max((s.values[i] or 0 for s in chart.series), default=0)
        for i in range(len(chart.categories))
    ]
    targets = chart.target.values if chart.target else []
    top = max([*totals, *(t or 0 for t in targets), 1e-9])
    plot_w = WIDTH - LABEL_W - VALUE_W
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(chart.title)}" font-family="sans-serif" font-size="11">'
    ]
    x = LABEL_W
    for k, s in enumerate(chart.series if legend_h else []):
        parts.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{PALETTE[k % 6]}"/>')
        parts.append(f'<text x="{x + 14}" y="13">{escape(s.name)}</text>')
        x += 24 + 7 * len(s.name)
    if chart.target and legend_h:
        parts.append(
            f'<line x1="{x}" y1="9" x2="{x + 12}" y2="9" stroke="#b42318" stroke-width="2"/>'
        )
        parts.append(f'<text x="{x + 16}" y="13">{escape(chart.target.name)}</text>')
    for i, category in enumerate(chart.categories):
        y0 = legend_h + i * row_h
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y0 + per_cat * BAR_H / 2 + 4}" '
            f'text-anchor="end">{escape(category[:24])}</text>'
        )
        offset = 0.0
        for k, s in enumerate(chart.series):
            value = s.values[i] or 0
            w = plot_w * value / top
            y = y0 if stacked else y0 + k * BAR_H
            bx = LABEL_W + (offset if stacked else 0)
            parts.append(
                f'<rect x="{bx:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H - 2}" '
                f'fill="{PALETTE[k % 6]}">'
                f"<title>{escape(s.name)}: {fmt(value, chart.unit)}</title></rect>"
            )
            offset += w if stacked else 0
        label = fmt(totals[i] if stacked else chart.series[0].values[i], chart.unit)
        parts.append(f'<text x="{WIDTH - VALUE_W + 6}" y="{y0 + BAR_H - 3}">{escape(label)}</text>')
        if i < len(targets) and targets[i] is not None:
            tx = LABEL_W + plot_w * targets[i] / top  # type: ignore[operator]
            parts.append(
                f'<line x1="{tx:.1f}" y1="{y0 - 2}" x2="{tx:.1f}" y2="{y0 + per_cat * BAR_H}" '
                'stroke="#b42318" stroke-width="2"/>'
            )
    parts.append("</svg>")
    return "".join(parts)
