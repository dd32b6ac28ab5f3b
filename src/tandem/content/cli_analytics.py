"""`tandem content influence|gaps|suggest`: the analytic half of the content library.

The commands are registered on the content CLI (`tandem.content.cli:app`) by `register`; the
module's own `app` carries them too, so they also run alone.
"""

import typer
from rich.table import Table

from tandem.analytics.cache import FactsCache
from tandem.analytics.charts import fmt
from tandem.analytics.frames import Facts
from tandem.analytics.store import facts_store
from tandem.cli.context import console, db_session, fail, settings
from tandem.content import analytics_service as service
from tandem.content.analytics_schemas import InfluenceReport
from tandem.db import utcnow
from tandem.errors import DomainError

app = typer.Typer(help="Content influence, gaps and next best content.", no_args_is_help=True)
FORMATS = ("text", "json")


def _format(value: str) -> str:
    if value not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, not {value!r}")
    return value


def _facts(db) -> Facts:
    return FactsCache(refresh_seconds=0, background=False, store=facts_store(settings())).get(db)


def influence(
    by: str = typer.Option("asset", help="asset, type, journey_stage or persona."),
    limit: int = typer.Option(20, help="Rows to show (0: all)."),
    format: str = typer.Option("text", help="text or json."),
) -> None:
    """Won revenue credited to content under every attribution model, and the win rate of
    deals with each asset against comparable deals without it."""
    _format(format)
    try:
        with db_session() as db:
            report = service.influence_report(
                db, facts=_facts(db), as_of=utcnow(), by=by, limit=limit or None
            )
    except DomainError as exc:
        raise fail(str(exc)) from None
    if format == "json":
        typer.echo(report.model_dump_json(indent=2))
        return
    _print_influence(report)


def _print_influence(report: InfluenceReport) -> None:
    console.print(
        f"[bold]Influence of content[/] on {report.won_deals:,} won deals: "
        f"{report.credited_deals:,} credited, {report.unknown_amount:,} of unknown amount "
        f"(counted, not credited), {report.without_content:,} without content",
        highlight=False,
    )
    shown = [
        m
        for m in ("first_touch", "linear", "markov")  # --format json has every model
        if m in report.models
    ]
    table = Table(
        report.by,
        "won deals",
        *shown,
        "win rate with / without (deals)",
        "difference [95% CI]",
    )
    for row in report.rows:
        c = row.comparison
        table.add_row(
            row.label,
            f"{row.won_deals:,}"
            + (f" ({row.unknown_amount} unknown)" if row.unknown_amount else ""),
            *[fmt(float(row.credits[m]), "money") for m in shown],
            f"{fmt(c.win_rate_with, 'percent')} / {fmt(c.win_rate_without, 'percent')} "
            f"({c.deals_with:,} / {c.deals_without:,})"
            if c
            else "–",
            (
                f"{_pp(c.difference)} [{_pp(c.ci_low)}, {_pp(c.ci_high)}] {c.verdict}"
                if c and c.difference is not None
                else (c.verdict if c else "–")
            ),
        )
    console.print(table)
    console.print(
        f"Fewer than {report.min_deals} deals in either arm reads 'too few deals'; comparable "
        "deals: same segment and close quarter. Every model (--format json): "
        + ", ".join(report.models),
        highlight=False,
    )


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.1f}pp"


def gaps(
    by_product: bool = typer.Option(False, "--by-product", help="Add products to the matrix."),
    limit: int = typer.Option(15, help="Cells to show (0: all)."),
    format: str = typer.Option("text", help="text or json."),
) -> None:
    """The journey stage x persona matrix of live assets, costliest missing content first."""
    _format(format)
    with db_session() as db:
        report = service.gaps_report(db, facts=_facts(db), as_of=utcnow(), by_product=by_product)
    if limit:
        report.cells = report.cells[:limit]
    if format == "json":
        typer.echo(report.model_dump_json(indent=2))
        return
    columns = ["stage", "persona", *(["product"] if by_product else []), "live", "rating"]
    table = Table(*columns, "stalled contacts", "stalled deals", "cost")
    for cell in report.cells:
        table.add_row(
            cell.journey_stage,
            cell.persona,
            *([cell.product or ""] if by_product else []),
            str(cell.live_assets),
            cell.rating,
            f"{cell.stalled_contacts:,}",
            f"{cell.stalled_deals:,}",
            f"{cell.cost:,.1f}",
        )
    console.print(table)
    console.print(f"Ratings: {report.thresholds}.", highlight=False)


def suggest(
    contact: int | None = typer.Option(None, "--contact", help="A contact (lead) id."),
    deal: int | None = typer.Option(None, "--deal", help="A deal id (its buying committee)."),
    backtest: bool = typer.Option(False, "--backtest", help="Hit rate at 3 on history."),
    format: str = typer.Option("text", help="text or json."),
) -> None:
    """Next best content for a contact or a deal, explained; or the backtest on history."""
    _format(format)
    try:
        with db_session() as db:
            facts = _facts(db)
            if backtest:
                result = service.backtest_report(db, facts=facts, as_of=utcnow())
            else:
                report = service.suggest_report(
                    db, facts=facts, as_of=utcnow(), contact_id=contact, deal_id=deal
                )
    except DomainError as exc:
        raise fail(str(exc)) from None
    if backtest:
        if format == "json":
            typer.echo(result.model_dump_json(indent=2))
            return
        console.print(
            f"Backtest: counted from {result.train_deals:,} won deals closed before "
            f"{result.cut:%Y-%m-%d}, asked on the {result.test_deals:,} won after it.\n"
            f"  hit rate at {result.k}: suggestions {fmt(result.hit_rate, 'percent')}, "
            f"most popular {fmt(result.popular_hit_rate, 'percent')}",
            highlight=False,
        )
        return
    if format == "json":
        typer.echo(report.model_dump_json(indent=2))
        return
    who = f"contact {report.contact_id}" if report.contact_id else f"deal {report.deal_id}"
    console.print(
        f"[bold]{who}[/] ({report.segment}) has seen {len(report.seen)} assets", highlight=False
    )
    for s in report.suggestions:
        console.print(f"  {s.title} (asset {s.asset_id}): {s.because}", highlight=False)
    if not report.suggestions:
        console.print("  nothing to suggest yet: no won deal has consumed content")


COMMANDS = {"influence": influence, "gaps": gaps, "suggest": suggest}


def register(target: typer.Typer) -> None:
    """Add the commands to `target` (the content CLI)."""
    for name, command in COMMANDS.items():
        target.command(name)(command)


register(app)
