"""Shared CLI plumbing: settings, engine and sessions, with one-line errors for the operator."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tandem.db import make_engine, make_session_factory, session_scope
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
        return load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None


def engine(current: Settings | None = None) -> Engine:
    """An engine for the configured database, checked by connecting once."""
    current = current or settings()
    eng = make_engine(current.database_url)
    try:
        with eng.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise fail(
            f"cannot connect to TANDEM_DATABASE_URL ({eng.url.render_as_string()}): {reason}"
        ) from None
    return eng


@contextmanager
def db_session(eng: Engine | None = None) -> Iterator[Session]:
    """A committed-on-success session on the configured database; its writes publish to every
    capability's event handlers (`tandem.capabilities.build_bus`)."""
    with session_scope(make_session_factory(eng or engine())) as session:
        yield session
