"""Shared CLI plumbing: settings, engine and sessions, with one-line errors for the operator."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tandem.db import make_engine, make_session_factory, session_scope
from tandem.metrics.engine import use as use_engine
from tandem.settings import Settings, SettingsError, load_settings

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> typer.Exit:
    """Print one red line on stderr and return an Exit(1) to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(1)


def settings() -> Settings:
    """Settings from the environment; a bad value ends the command with one clear line."""
    try:
        found = load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    use_engine(found)  # the figures and rescores of this command run on the chosen engine
    return found


def engine(current: Settings | None = None, *, schema: bool = True) -> Engine:
    """An engine for the configured database, checked by connecting once, and (with `schema`)
    checked to hold this version's schema: a command run on a database never initialised (or
    left behind by an upgrade) names `tandem init` instead of failing on a missing table."""
    current = current or settings()
    eng = make_engine(current.database_url)
    url = eng.url.render_as_string()
    database = eng.url.database
    if schema and eng.dialect.name == "sqlite" and database and not Path(database).exists():
        # Connecting would create an empty file; say what to do instead.
        raise fail(f"no database at {url}: run `tandem init` to create it")
    try:
        with eng.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise fail(f"cannot connect to TANDEM_DATABASE_URL ({url}): {reason}") from None
    if schema:
        _require_schema(eng, url)
    return eng


def _require_schema(eng: Engine, url: str) -> None:
    from tandem.migrate import current_revisions, missing_revisions

    if not current_revisions(eng):
        raise fail(f"the database at {url} holds no Tandem schema: run `tandem init` first")
    if missing := missing_revisions(eng):
        raise fail(
            f"the database at {url} is older than this version of Tandem "
            f"(not applied: {', '.join(sorted(missing))}): run `tandem init` to migrate it"
        )


@contextmanager
def db_session(eng: Engine | None = None) -> Iterator[Session]:
    """A committed-on-success session on the configured database; its writes publish to every
    capability's event handlers (`tandem.capabilities.build_bus`)."""
    with session_scope(make_session_factory(eng or engine())) as session:
        yield session
