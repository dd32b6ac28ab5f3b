"""The `tandem` command."""

from pathlib import Path

import typer
import typer.main
from typer.core import TyperGroup

from tandem import __version__
from tandem.capabilities import cli_groups, resolve
from tandem.cli.context import console, engine, fail, settings


class LazyGroup(TyperGroup):
    """The `tandem` group: each capability's command groups (`tandem.capabilities`), imported on
    first use, so `tandem report weekly` does not pay for scikit-learn or FastAPI at start-up."""

    def list_commands(self, ctx) -> list[str]:
        groups = cli_groups()
        return [*super().list_commands(ctx), *(n for n in groups if n not in self.commands)]

    def get_command(self, ctx, cmd_name: str):
        groups = cli_groups()
        if cmd_name not in self.commands and cmd_name in groups:
            command = typer.main.get_group(resolve(groups[cmd_name]))
            command.name = cmd_name
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=LazyGroup,
    help="Tandem: one revenue engine for marketing and sales.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
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

    eng = engine(schema=False)
    upgrade(eng, revision)
    console.print(f"database at revision {', '.join(sorted(current_revisions(eng)))}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision."""
    from tandem.migrate import current_revisions, head_revisions

    current = ", ".join(sorted(current_revisions(engine(schema=False)))) or "none"
    console.print(f"current {current}; newest {', '.join(sorted(head_revisions()))}")


@app.command()
def init() -> None:
    """Create (or migrate) the database named by TANDEM_DATABASE_URL."""
    from tandem.migrate import current_revisions, upgrade

    eng = engine(schema=False)
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
        run_restore(engine(schema=False), file)
    except BackupError as exc:
        raise fail(str(exc)) from None
    console.print(f"restored from {file}")
