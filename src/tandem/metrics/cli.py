"""`tandem metrics list|show|records`: every figure Tandem shows, from the terminal."""

import json
import sys
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from tandem.analytics.cache import FactsCache
from tandem.analytics.charts import fmt
from tandem.analytics.store import facts_store
from tandem.cli.context import console, db_session, fail, settings
from tandem.csv_export import to_csv
from tandem.db import utcnow
from tandem.errors import DomainError
from tandem.metrics import labels, service
from tandem.metrics.engine import Engine, engine_for
from tandem.metrics.schemas import FigureOut, MetricOut
from tandem.metrics.spec import Window

app = typer.Typer(help="The metric registry: one definition per figure.", no_args_is_help=True)

FORMATS = ("text", "json")


def _format(value: str) -> str:
    if value not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, not {value!r}")
    return value


def _filters(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise fail(f"--filter {pair!r}: write DIMENSION=VALUE, e.g. --filter channel=email")
        out[name.strip()] = value.strip()
    return out


def _day(raw: str | None, option: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise fail(f"{option} {raw!r} is not a date (write YYYY-MM-DD)") from None


def _engine_and_window(first: str | None, last: str | None) -> tuple[Engine, Window]:
    as_of = utcnow()
    try:
        at = service.window(_day(first, "--from"), _day(last, "--to"), as_of)
    except DomainError as exc:
        raise fail(str(exc)) from None
    with db_session() as db:
        facts = FactsCache(refresh_seconds=0, background=False, store=facts_store(settings())).get(
            db
        )
    return engine_for(facts), at


@app.command("list")
def list_metrics(format: str = typer.Option("text", help="text or json.")) -> None:
    """Every metric: name, what it counts, its population and the date its window uses."""
    metrics = list(service.registry().values())
    if _format(format) == "json":
        typer.echo(json.dumps([MetricOut.of(m).model_dump() for m in metrics], indent=2))
        return
    table = Table("name", "label", "population", "window", "unit")
    for m in metrics:
        table.add_row(m.name, m.label, m.population, m.window_text, m.unit)
    console.print(table)


@app.command("show")
def show(
    name: str,
    first: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD)."),
    last: str | None = typer.Option(None, "--to", help="Last day, included (YYYY-MM-DD)."),
    by: str | None = typer.Option(None, "--by", help="Break down by this dimension."),
    filter: list[str] = typer.Option([], "--filter", help="DIMENSION=VALUE (repeatable)."),
    format: str = typer.Option("text", help="text or json."),
) -> None:
    """One figure over a window, optionally filtered and broken down."""
    _format(format)
    filters = _filters(filter)
    try:
        metric = service.metric(name)
        engine, at = _engine_and_window(first, last)
        figure = service.figure(engine, metric.name, at, filters, by)
    except DomainError as exc:
        raise fail(str(exc)) from None
    if format == "json":
        typer.echo(FigureOut.of(figure).model_dump_json(indent=2))
        return
    console.print(f"[bold]{metric.label}[/] ({metric.name}): {fmt(figure.value, metric.unit)}")
    console.print(f"  window {figure.window_text} ({metric.window_text})", highlight=False)
    if filters:
        console.print("  filters " + ", ".join(f"{k}={v}" for k, v in filters.items()))
    console.print(f"  over {figure.rows:,} {metric.population}", highlight=False)
    if figure.unknown:
        console.print(f"  {figure.unknown:,} {metric.unknown_text}", highlight=False)
    if figure.implied:
        console.print(f"  {figure.implied:,} implied by a later stage", highlight=False)
    if by:
        table = Table(by, metric.label, metric.population)
        for part in figure.breakdown:
            table.add_row(part.value, fmt(part.figure, metric.unit), f"{part.rows:,}")
        console.print(table)


@app.command("records")
def records(
    name: str,
    first: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD)."),
    last: str | None = typer.Option(None, "--to", help="Last day, included (YYYY-MM-DD)."),
    filter: list[str] = typer.Option([], "--filter", help="DIMENSION=VALUE (repeatable)."),
    out: Path | None = typer.Option(None, help="Write CSV here (default: stdout)."),
) -> None:
    """Every record that makes up a figure, as CSV."""
    filters = _filters(filter)
    try:
        service.metric(name)
        engine, at = _engine_and_window(first, last)
        page = service.records(engine, name, at, filters, limit=None)
    except DomainError as exc:
        raise fail(str(exc)) from None
    text = to_csv(page.columns, labels.csv_rows(page))
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text)
    console.print(f"{page.total:,} records written to {out}")
