"""The `tandem` command."""

from pathlib import Path

import typer

from tandem import __version__
from tandem.attribution import cli as attribution_cli
from tandem.cli import demo, users
from tandem.cli.context import console, engine, fail, settings
from tandem.goals import cli as goals_cli
from tandem.handoff import cli as handoff_cli
from tandem.handoff import ops_cli as handoff_ops
from tandem.ingest import cli as ingest_cli
from tandem.reports import cli as report_cli
from tandem.scoring import cli as scoring_cli
from tandem.scoring import incremental as scoring_incremental

app = typer.Typer(
    help="Tandem: one revenue engine for marketing and sales.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(users.app, name="users")
app.add_typer(demo.app, name="demo")
app.add_typer(handoff_cli.app, name="handoff")
app.add_typer(goals_cli.app, name="goals")
app.add_typer(report_cli.app, name="report")
app.add_typer(handoff_ops.routing_app, name="routing")
app.add_typer(handoff_ops.sla_app, name="sla")
app.add_typer(attribution_cli.app, name="attribution")
app.add_typer(ingest_cli.app, name="import")
app.add_typer(scoring_cli.app, name="scoring")
scoring_incremental.register()  # imports through the CLI update scores as activities land
app.add_typer(ingest_cli.contacts_app, name="contacts")
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.command()
def version() -> None:
    """Print the Tandem version."""
    console.print(__version__)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads")) -> None:
    """Migrate the database schema to the newest revision."""
    from tandem.migrate import current_revisions, upgrade

    eng = engine()
    upgrade(eng, revision)
    console.print(f"database at revision {', '.join(sorted(current_revisions(eng)))}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision."""
    from tandem.migrate import current_revisions, head_revisions

    current = ", ".join(sorted(current_revisions(engine()))) or "none"
    console.print(f"current {current}; newest {', '.join(sorted(head_revisions()))}")


@app.command()
def init() -> None:
    """Create (or migrate) the database named by TANDEM_DATABASE_URL."""
    from tandem.migrate import current_revisions, upgrade

    eng = engine()
    upgrade(eng)
    revisions = ", ".join(sorted(current_revisions(eng)))
    console.print(f"database ready at {eng.url.render_as_string()} (revision {revisions})")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address (default TANDEM_HOST)."),
    port: int | None = typer.Option(None, help="Port (default TANDEM_PORT)."),
    workers: int | None = typer.Option(None, help="Worker processes (default TANDEM_WORKERS)."),
) -> None:
    """Serve the web app and API."""
    import uvicorn

    current = settings()
    engine(current)  # fail early, in one line, on a bad database URL
    console.print(f"Tandem on http://{host or current.host}:{port or current.port}")
    uvicorn.run(
        "tandem.web.asgi:app",
        factory=True,
        host=host or current.host,
        port=port or current.port,
        workers=workers or current.workers,
        log_level="info",
    )


@app.command()
def backup(file: Path = typer.Argument(..., help="Where to write the backup.")) -> None:
    """Back up the database online (SQLite backup API, or pg_dump for PostgreSQL)."""
    from tandem.ops.backup import BackupError
    from tandem.ops.backup import backup as run_backup

    try:
        written = run_backup(engine(), file)
    except BackupError as exc:
        raise fail(str(exc)) from None
    console.print(f"backup written to {written} ({written.stat().st_size:,} bytes)")


@app.command()
def restore(file: Path = typer.Argument(..., help="A file written by `tandem backup`.")) -> None:
    """Replace the database's contents with a backup."""
    from tandem.ops.backup import BackupError
    from tandem.ops.backup import restore as run_restore

    try:
        run_restore(engine(), file)
    except BackupError as exc:
        raise fail(str(exc)) from None
    console.print(f"restored from {file}")
