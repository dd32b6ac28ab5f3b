"""Render the weekly review: HTML (a page of the app, or a standalone file) and PDF.

Charts are inline SVG drawn in Python, so the standalone HTML, the PDF (WeasyPrint runs no
JavaScript) and the email need no script and nothing from the network.
"""

from markupsafe import Markup

from tandem.analytics.svg import render_svg
from tandem.reports.present import sections
from tandem.reports.schemas import WeeklyReview
from tandem.web.templating import WEB_DIR, environment


def context(vm: WeeklyReview) -> dict[str, object]:
    """Template variables shared by the page and the standalone renderings."""
    panels = sections(vm)
    return {
        "vm": vm,
        "panels": panels,
        "svgs": {p.chart.id: Markup(render_svg(p.chart)) for p in panels if p.chart},
    }


def render_html(vm: WeeklyReview) -> str:
    """A self-contained HTML file: styles inline, charts as SVG, no scripts."""
    css = "\n".join(
        (WEB_DIR / "static" / name).read_text()
        for name in ("tandem.css", "analytics.css", "analytics-report.css")
    )
    return (
        environment()
        .get_template("report_weekly.html")
        .render(layout="report_standalone.html", inline_css=css, **context(vm))
    )


def render_pdf(vm: WeeklyReview) -> bytes:
    """The standalone HTML printed to PDF by WeasyPrint, offline."""
    from weasyprint import HTML

    return HTML(string=render_html(vm), base_url=str(WEB_DIR)).write_pdf()  # type: ignore[no-any-return]
