"""The alignment report drawn: panels (tables and SVG charts) shared by the page, the
standalone HTML, the PDF and the weekly review's section. Only groups the report kept (at or
above the minimum size) appear; nothing here can show a suppressed group."""

from __future__ import annotations

from markupsafe import Markup

from tandem.alignment.schemas import Gap, Report
from tandem.analytics.charts import Chart, Panel, Series, Table
from tandem.analytics.svg import render_svg
from tandem.web.templating import WEB_DIR, environment

AUDIENCE_LABEL = {"marketing": "Marketing", "sales": "Sales", "customer": "Customers"}


def _n(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _table(columns: list[str], rows: list[list[str]], numeric: list[bool]) -> Table:
    return Table(columns=columns, rows=rows, numeric=numeric)


def _pair(g: Gap) -> str:
    return " vs ".join(AUDIENCE_LABEL[a] for a in g.audiences)


def _verdict(g: Gap) -> str:
    if g.finding:
        return "gap"
    if g.significant and g.split:
        return f"not a finding: {', '.join(AUDIENCE_LABEL[a] for a in g.split)} split"
    if g.split:
        return f"{', '.join(AUDIENCE_LABEL[a] for a in g.split)} split"
    return "no clear gap"


def index_panel(vm: Report) -> Panel:
    rows = [
        [name, _n(idx.score), idx.band or "–"]
        for name, idx in (
            ("Alignment index", vm.alignment_index),
            ("Survey index", vm.survey_index),
            ("Data index", vm.data_index),
        )
    ]
    chart = None
    if len(vm.trend) > 1:
        chart = Chart(
            id="alignment-trend",
            title="Index by wave",
            kind="hbar",
            categories=[t.wave for t in vm.trend],
            series=[
                Series(name="Alignment", values=[t.alignment for t in vm.trend]),
                Series(name="Survey", values=[t.survey for t in vm.trend]),
                Series(name="Data", values=[t.data for t in vm.trend]),
            ],
        )
    return Panel(
        title=f"Alignment index · {vm.wave}",
        chart=chart,
        table=_table(["index (0-100)", "score", "band"], rows, [False, True, False]),
    )


def gaps_panel(vm: Report, limit: int = 10) -> Panel:
    shown = vm.gaps[:limit]
    texts = {st.id: st.text for st in vm.statements}
    if not shown:
        return Panel(
            title="Largest perception gaps", empty="No two groups large enough to compare."
        )
    rows = [
        [
            texts.get(g.statement or "", g.statement or ""),
            _pair(g),
            f"{_n(g.means[0])} / {_n(g.means[1])}",
            f"{g.difference:+.2f}",
            f"{g.ci[0]:+.2f} to {g.ci[1]:+.2f}",
            f"{g.q:.3f}",
            _verdict(g),
        ]
        for g in shown
    ]
    findings = [g for g in shown if g.finding][:6]
    chart = None
    pairs = {tuple(g.audiences) for g in findings}
    if len(pairs) == 1:  # one pair apart: their means side by side, statement by statement
        first, second = next(iter(pairs))
        chart = Chart(
            id="alignment-gaps",
            title="Mean answer where the groups differ",
            kind="hbar",
            categories=[g.statement or "" for g in findings],
            series=[
                Series(name=AUDIENCE_LABEL[first], values=[g.means[0] for g in findings]),
                Series(name=AUDIENCE_LABEL[second], values=[g.means[1] for g in findings]),
            ],
        )
    return Panel(
        title="Largest perception gaps",
        chart=chart,
        table=_table(
            ["statement", "groups", "means", "difference", "95% CI", "q (BH)", "verdict"],
            rows,
            [False, False, True, True, True, True, False],
        ),
    )


def say_do_panel(vm: Report) -> Panel:
    if not vm.say_vs_do:
        return Panel(title="Say versus do", empty="No statement of this instrument has a metric.")
    rows = []
    for s in vm.say_vs_do:
        said = "; ".join(
            f"{AUDIENCE_LABEL[a]} {_n(m)} ({_pct(s.agree_share[a])} agree)"
            for a, m in s.answers.items()
        )
        rows.append([s.text, said or "–", s.label, s.shown])
    return Panel(
        title="Say versus do",
        table=_table(
            ["statement", "what the teams say (mean, agreeing)", "metric", "what the data shows"],
            rows,
            [False, False, False, True],
        ),
    )


def components_panel(vm: Report) -> Panel:
    rows, links = [], []
    for c in vm.alignment_index.components:
        metric = c.key.removeprefix("data:") if c.key.startswith("data:") else None
        rows.append(
            [
                c.label,
                "survey" if metric is None else "data",
                c.shown or "",
                f"{c.weight:.3f}",
                _n(c.score),
                _n(c.contribution, 2),
            ]
        )
        # A data component's label opens its definition in the registry.
        links.append([f"/metrics/{metric}" if metric else None, None, None, None, None, None])
    table = _table(
        ["component", "source", "measured", "weight", "score", "points"],
        rows,
        [False, False, True, True, True, True],
    )
    table.links = links
    return Panel(title="What the index is made of", table=table)


def changes_panel(vm: Report) -> Panel:
    if not vm.changes:
        return Panel(title="Change since the last wave", empty="The first wave of this instrument.")
    rows = [[c.label, _n(c.before), _n(c.after), f"{c.delta:+.2f}"] for c in vm.changes]
    return Panel(
        title="Change since the last wave",
        table=_table(
            ["component", "score before", "score now", "index points"],
            rows,
            [False, True, True, True],
        ),
    )


def rates_panel(vm: Report) -> Panel:
    rows = [
        [
            AUDIENCE_LABEL[r.audience],
            str(r.invited),
            str(r.responded) if r.rate is not None or r.responded else f"fewer than {vm.min_group}",
            _pct(r.rate),
        ]
        for r in vm.rates
    ]
    suppressed = "; ".join(
        f"{AUDIENCE_LABEL[s.audience]}{' · ' + s.statement if s.statement else ''}: {s.reason}"
        for s in vm.suppressed
    )
    return Panel(
        title="Response rates",
        table=_table(["audience", "invited", "responded", "rate"], rows, [False, True, True, True])
        if rows
        else None,
        empty=f"Left out for size: {suppressed}" if suppressed else None,
    )


def accounts_panel(vm: Report) -> Panel:
    rows = [[a.account, str(a.n), _n(a.score)] for a in vm.accounts]
    return Panel(
        title="Customer accounts",
        table=_table(["account", "respondents", "score (0-100)"], rows, [False, True, True])
        if rows
        else None,
        empty=None if rows else f"No account with {vm.min_group} or more customer respondents.",
    )


def statements_panel(vm: Report) -> Panel:
    rows = []
    for s in vm.statements:
        for audience, g in s.groups.items():
            rows.append(
                [
                    s.id,
                    AUDIENCE_LABEL[audience],
                    str(g.n),
                    _n(g.mean, 2),
                    _n(g.median),
                    " ".join(str(c) for c in g.distribution),
                    _n(g.agreement, 2),
                ]
            )
    return Panel(
        title="Every statement",
        table=_table(
            ["statement", "audience", "answers", "mean", "median", "answers per point", "r_wg"],
            rows,
            [False, False, True, True, True, False, True],
        ),
    )


def sections(vm: Report) -> list[Panel]:
    """The report's panels, in reading order."""
    return [
        index_panel(vm),
        gaps_panel(vm),
        say_do_panel(vm),
        components_panel(vm),
        changes_panel(vm),
        rates_panel(vm),
        accounts_panel(vm),
        statements_panel(vm),
    ]


def context(vm: Report) -> dict[str, object]:
    panels = sections(vm)
    return {
        "vm": vm,
        "panels": panels,
        "svgs": {p.chart.id: Markup(render_svg(p.chart)) for p in panels if p.chart},
        "comments": [(s.id, s.text, s.comments) for s in vm.statements if s.comments],
        "labels": AUDIENCE_LABEL,
    }


def render_html(vm: Report) -> str:
    """A self-contained HTML file: styles inline, charts as SVG, no scripts."""
    css = "\n".join(
        (WEB_DIR / "static" / name).read_text()
        for name in ("tandem.css", "analytics.css", "analytics-report.css")
    )
    return (
        environment()
        .get_template("alignment_report.html")
        .render(layout="alignment_standalone.html", inline_css=css, **context(vm))
    )


def render_pdf(vm: Report) -> bytes:
    """The standalone HTML printed to PDF by WeasyPrint, offline."""
    from weasyprint import HTML

    return HTML(string=render_html(vm), base_url=str(WEB_DIR)).write_pdf()  # type: ignore[no-any-return]
