"""`tandem attribution ...`: path tables, the attribution report and deal retrospectives."""

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

# The attribution core pulls in numpy, polars and scipy: import them inside the commands so
# every other `tandem` command starts fast.
if TYPE_CHECKING:
    import polars as pl
    from rich.console import Console

    from tandem.attribution import AttributionConfig

app = typer.Typer(
    help="Multi-touch attribution: path tables, the report, deal retrospectives.",
    no_args_is_help=True,
)


class Output(StrEnum):
    csv = "csv"
    json = "json"


class ReportOutput(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _config(path: Path | None) -> "AttributionConfig":
    from tandem.attribution import AttributionConfigError, default_config, load_config

    try:
        return load_config(path) if path else default_config()
    except AttributionConfigError as exc:
        raise _fail(f"invalid attribution config:\n{exc}") from None
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None


def _print_table(console: "Console", header: list[str], rows: list[list[Any]], title: str) -> None:
    from rich.table import Table

    table = Table(*header, title=title)
    for row in rows:
        table.add_row(*["" if cell is None else str(cell) for cell in row])
    console.print(table)


def read_path_file(file: Path) -> "pl.DataFrame":
    """A path table's cells as text; the delimiter (``;``, ``,`` or tab) is read off the header."""
    import polars as pl

    from tandem.attribution.path_table import PathTableError, PathTableIssue

    try:
        with file.open(encoding="utf-8") as handle:
            header = handle.readline()
    except OSError as exc:
        raise PathTableError(str(file), [PathTableIssue(None, "path", exc.strerror)]) from None
    except UnicodeDecodeError:
        raise PathTableError(str(file), [PathTableIssue(None, "path", "not UTF-8 text")]) from None
    if not header.strip():
        raise PathTableError(str(file), [PathTableIssue(None, "path", "the file is empty")])
    delimiter = max((";", ",", "\t"), key=header.count)
    try:
        return pl.read_csv(
            file, separator=delimiter, infer_schema=False, truncate_ragged_lines=False
        )
    except pl.exceptions.PolarsError as exc:
        reason = str(exc).strip().splitlines()[0]
        raise PathTableError(str(file), [PathTableIssue(None, "path", reason)]) from None


@app.command("paths")
def paths_command(
    file: Path = typer.Argument(
        ..., help="CSV of path, total_conversions, total_conversion_value, total_null."
    ),
    sep: str = typer.Option(">", "--sep", help="What separates the channels in a path."),
    models: str = typer.Option(
        "all", "--models", help="Comma-separated models, or 'all' (every path-table model)."
    ),
    output: Output = typer.Option(Output.csv, "--format", help="csv or json."),
    config_file: Path | None = typer.Option(
        None, "--config", help="Attribution YAML (weights, Markov order, custom models)."
    ),
) -> None:
    """Attribute a path table: conversions and value per channel and model."""
    from tandem.attribution.path_table import (
        PATH_MODELS,
        PathTableError,
        attribute_paths,
        parse_path_table,
        path_models,
    )
    from tandem.csv_export import to_csv

    config = _config(config_file)
    chosen = PATH_MODELS if models == "all" else tuple(m.strip() for m in models.split(","))
    allowed = path_models(config)
    unknown = [m for m in chosen if m not in allowed]
    if unknown:
        raise _fail(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(allowed)}")
    try:
        paths = parse_path_table(read_path_file(file), sep=sep, source=str(file))
    except PathTableError as exc:
        raise _fail(str(exc)) from None
    result = attribute_paths(paths, config=config, models=chosen)
    if output == Output.json:
        typer.echo(json.dumps(result.to_dicts(), indent=2))
    else:
        typer.echo(to_csv(result.columns, result.iter_rows()), nl=False)


@app.command("run")
def run_command(
    model: list[str] = typer.Option(
        None, "--model", help="Only this model (repeat for several; default every model)."
    ),
    changed: bool = typer.Option(
        False, "--changed", help="Only re-credit won deals new or changed since the last run."
    ),
    config_file: Path | None = typer.Option(None, "--config", help="Attribution YAML."),
) -> None:
    """Credit won revenue under every model and store the results for pages and reports."""
    from tandem.attribution.registry import available
    from tandem.attribution.store import refresh_changed, run_full
    from tandem.cli.context import console, db_session
    from tandem.db import utcnow
    from tandem.engines.rescore import EngineFailed

    if changed:
        if model or config_file:
            raise _fail("--changed reuses the last full run's models and configuration")
        with db_session() as db:
            summary = refresh_changed(db_session=db, now=utcnow())
        if summary is None:
            raise _fail("no attribution stored yet: run `tandem attribution run` first")
    else:
        config = _config(config_file)
        unknown = [m for m in model or [] if m not in available(config)]
        if unknown:
            raise _fail(
                f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(available(config))}"
            )
        with db_session() as db:
            try:
                summary = run_full(db_session=db, config=config, now=utcnow(), models=model or None)
            except EngineFailed as exc:  # Spark failed: nothing stored, the last run stays
                raise _fail(str(exc)) from None
    console.print(
        f"attribution run {summary.run_id} ({summary.kind}, config {summary.config_version}): "
        f"{summary.opportunities:,} won deals, {summary.credits:,} credits stored "
        f"({', '.join(summary.models)}); unattributed {summary.unattributed_cents / 100:,.2f}"
        + (f"; {summary.removed:,} deals no longer won dropped" if summary.removed else "")
    )


@app.command("report")
def report_command(
    basis: str = typer.Option("won", help="won (revenue, by close date) or pipeline (created)."),
    start: str | None = typer.Option(None, help="First day, YYYY-MM-DD."),
    end: str | None = typer.Option(None, help="Last day, YYYY-MM-DD."),
    segment: str | None = typer.Option(None, help="Only deals of this segment."),
    region: str | None = typer.Option(None, help="Only deals of this region."),
    vertical: str | None = typer.Option(None, help="Only deals of this vertical."),
    contacts: str | None = typer.Option(
        None, help="contact_roles or account (default: the config's window.contacts)."
    ),
    by: str = typer.Option("channel", help="campaign, channel, asset, team, source or roi."),
    output: ReportOutput = typer.Option(ReportOutput.table, "--format", help="table, csv, json."),
    config_file: Path | None = typer.Option(None, "--config", help="Attribution YAML."),
) -> None:
    """Attribute won revenue or pipeline in the database, every model side by side."""
    from tandem.attribution.report import build_report, report_table
    from tandem.attribution.service import parse_filters
    from tandem.cli.context import console, db_session
    from tandem.csv_export import to_csv

    filters, errors = parse_filters(
        basis=basis,
        start=start,
        end=end,
        segment=segment,
        region=region,
        vertical=vertical,
        contacts=contacts,
    )
    if errors:
        raise _fail("; ".join(f"--{k}: {v}" for k, v in errors.items()))
    config = _config(config_file)
    with db_session() as db:
        report = build_report(db_session=db, filters=filters, config=config)
    if output == ReportOutput.json:
        typer.echo(report.model_dump_json(indent=2))
        return
    try:
        header, rows = report_table(report, by)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if output == ReportOutput.csv:
        typer.echo(to_csv(header, rows), nl=False)
        return
    title = (
        f"{filters.basis} by {by}: total {report.total}, unattributed {report.unattributed_total}"
    )
    _print_table(console, header, rows, title)


@app.command("retrospective")
def retrospective_command(
    opportunity_id: int = typer.Argument(..., help="The opportunity's id."),
    output: ReportOutput = typer.Option(ReportOutput.table, "--format", help="table or json."),
    config_file: Path | None = typer.Option(None, "--config", help="Attribution YAML."),
) -> None:
    """Every touch of one deal from both teams, in order, with each model's credit."""
    from tandem.attribution.retrospective import build_retrospective
    from tandem.attribution.service import OpportunityNotFound
    from tandem.cli.context import console, db_session

    config = _config(config_file)
    with db_session() as db:
        try:
            retro = build_retrospective(db_session=db, opportunity_id=opportunity_id, config=config)
        except OpportunityNotFound as exc:
            raise _fail(str(exc)) from None
    if output == ReportOutput.json:
        typer.echo(retro.model_dump_json(indent=2))
        return
    models = [m.name for m in retro.models]
    header = ["when", "event", "team", "channel", "milestones", *models]
    rows = [
        [
            e.occurred_at.strftime("%Y-%m-%d %H:%M"),
            e.label if e.kind != "touch" else f"{e.label} ({e.contact_name})",
            e.team or "",
            e.channel or "",
            " ".join(e.milestones),
            *[str(e.credits.get(m, "")) for m in models],
        ]
        for e in retro.events
    ]
    title = f"{retro.name}: {retro.outcome}, {retro.amount} ({retro.basis} credit)"
    _print_table(console, header, rows, title)
