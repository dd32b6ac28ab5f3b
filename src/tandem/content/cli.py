"""`tandem content ...`: import, list, share, unused, expired. The analytic half (influence,
gaps, suggest) registers its commands on this same `app` from `cli_analytics.py`."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import typer
from rich.table import Table

from tandem.auth import service as auth
from tandem.cli.context import console, db_session, fail, settings
from tandem.db import utcnow

app = typer.Typer(help="The content library: assets, tracked shares, unused content.",
                  no_args_is_help=True)  # fmt: skip
FORMATS = ("table", "json")


def _format(value: str) -> str:
    if value not in FORMATS:
        raise fail(f"--format: one of {', '.join(FORMATS)}")
    return value


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@app.command("import")
def import_assets(
    file: Path = typer.Argument(..., help="A CSV of assets (one row each)."),
    profile: str = typer.Option("generic", help="generic, hubspot or salesforce."),
    mapping: Path | None = typer.Option(None, help="A mapping YAML (generic profile)."),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Import assets from a CSV; rows breaking the taxonomy are quarantined with the reason."""
    from tandem.ingest import cli as ingest_cli
    from tandem.ingest import jobs

    _format(format)
    tx = ingest_cli._tx()
    chosen = ingest_cli._mapping("assets", profile, mapping)
    job_id = jobs.create_job(tx, path=file, kind="assets", profile=profile, mapping=chosen)
    if format == "table":
        ingest_cli._run(tx, job_id, None)
        return
    with contextlib.suppress(jobs.JobError):  # recorded on the job, printed below
        jobs.run_job(tx, job_id, bulk_min_rows=settings().ingest_bulk_min_rows)
    job = jobs.get_job(tx, job_id)
    quarantined = [
        {"line": e["line"], "field": e["field"], "value": e["value"], "reason": e["reason"]}
        for e in jobs.list_errors(tx, job_id, limit=1000)
    ]
    keys = ("id", "status", "rows_total", "rows_new", "rows_updated", "rows_unchanged",
            "rows_quarantined")  # fmt: skip
    _print_json({"job": {k: job.get(k) for k in keys}, "quarantined": quarantined})
    if job["status"] != "done":
        raise typer.Exit(1)


@app.command("list")
def list_assets(
    q: str = typer.Option("", help="Words to find in title, description, type and tags."),
    stage: str | None = typer.Option(None, help="A journey stage."),
    persona: str | None = typer.Option(None, help="A persona."),
    type: str | None = typer.Option(None, "--type", help="An asset type."),
    product: str | None = typer.Option(None, help="A product."),
    status: str | None = typer.Option(
        None, help="draft, live or archived (default: not archived)."
    ),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """The library, searched and filtered, with shares, buyer views, deal uses and rating."""
    from tandem.content import service

    _format(format)
    with db_session() as db:
        vm = service.library(db, q=q, stage=stage, persona=persona, type=type,
                             product=product, status=status)  # fmt: skip
    if format == "json":
        _print_json(vm.model_dump(mode="json"))
        return
    table = Table("id", "title", "type", "stage", "personas", "status", "shares", "views",
                  "deals", "rating", title=f"{vm.total} assets")  # fmt: skip
    for r in vm.rows:
        rating = f"{r.rating:.1f} ({r.ratings})" if r.rating is not None else "-"
        status_text = r.status + (" (expired)" if r.expired else "")
        table.add_row(str(r.id), r.title, r.type, r.journey_stage, ", ".join(r.personas),
                      status_text, str(r.shares), str(r.buyer_views), str(r.deal_uses),
                      rating)  # fmt: skip
    console.print(table)


@app.command("share")
def share_asset(
    asset: int = typer.Argument(..., help="The asset's id."),
    to: list[str] = typer.Option(..., "--to", help="A recipient's email (repeat for several)."),
    as_user: str = typer.Option(..., "--as", help="The sharing rep's email."),
    deal: int | None = typer.Option(None, help="The deal it is shared for."),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Share an asset: one personal tracked link per recipient (printed once)."""
    from tandem.content import service, shares
    from tandem.content.schemas import ShareIn

    _format(format)
    current = settings()
    with db_session() as db:
        user = auth.get_by_email(db_session=db, email=as_user)
        if user is None:
            raise fail(f"no user with email {as_user!r}")
        try:
            result = shares.share(db, asset_id=asset, request=ShareIn(emails=to, deal_id=deal),
                                  by=user, settings=current)  # fmt: skip
        except service.ContentError as exc:
            raise fail(str(exc)) from None
    if format == "json":
        _print_json(result.model_dump(mode="json"))
    else:
        for warning in result.warnings:
            console.print(f"[yellow]warning:[/] {warning}", highlight=False)
        for link in result.links:
            console.print(f"{link.email}: {link.url}", highlight=False, soft_wrap=True)
        for refusal in result.refused:
            console.print(f"[red]refused[/] {refusal.recipient}: {refusal.reason}",
                          highlight=False)  # fmt: skip
    if not result.links:
        raise typer.Exit(1)


@app.command("unused")
def unused(
    months: int = typer.Option(6, min=1, max=120, help="No buyer view or deal use this long."),
    format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """The purge list: never shared, never viewed, unused for N months, or expired."""
    from tandem.content import purge

    _format(format)
    with db_session() as db:
        rows = purge.unused(db, as_of=utcnow(), months=months)
    if format == "json":
        _print_json([r.model_dump(mode="json") for r in rows])
        return
    table = Table("id", "title", "type", "owner", "shares", "buyer views", "last view", "expires",
                  "reasons", title=f"{len(rows)} assets to review ({months} months)")  # fmt: skip
    for r in rows:
        table.add_row(str(r.asset_id), r.title, r.type, r.owner_name or "-", str(r.shares),
                      str(r.buyer_views), f"{r.last_view_at:%Y-%m-%d}" if r.last_view_at else "-",
                      str(r.expires_on or "-"), ", ".join(r.reasons))  # fmt: skip
    console.print(table)


@app.command("expired")
def expired() -> None:
    """Tell each owner their live assets past expiry (once per expiry date; email when set)."""
    from tandem.content.scheduler import check_once
    from tandem.db import make_engine, make_session_factory

    current = settings()
    told = check_once(current, make_session_factory(make_engine(current.database_url)))
    console.print(f"told {told['owners']} owners about {told['assets']} expired assets")


# The analytic half: `tandem content influence|gaps|suggest` (tandem/content/cli_analytics.py).
from tandem.content.cli_analytics import register  # noqa: E402

register(app)
