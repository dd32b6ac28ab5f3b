"""`tandem routing test CONTACT` and `tandem sla tick`: the live handoff from the shell.

Both read TANDEM_ROUTING_PATH and TANDEM_SLA_PATH and the database; configuration errors are
printed one per line as file:line: level: field: message, and the command exits 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.cli.context import db_session, engine, fail, settings
from tandem.contacts.models import Contact
from tandem.db import make_session_factory
from tandem.definitions.base import ConfigError
from tandem.handoff.assign import routing_test
from tandem.handoff.runtime import ConfigCache, HandoffConfig, HandoffNotConfigured
from tandem.handoff.scheduler import tick_once
from tandem.ids import as_id

routing_app = typer.Typer(help="Lead routing (rules in TANDEM_ROUTING_PATH).", no_args_is_help=True)
sla_app = typer.Typer(help="SLA clocks and escalations.", no_args_is_help=True)


@contextmanager
def _configured() -> Iterator[tuple[Session, HandoffConfig]]:
    current = settings()
    try:
        cache = ConfigCache(current.routing_path, current.sla_path)
    except HandoffNotConfigured as exc:
        raise fail(str(exc)) from None
    with db_session(engine(current)) as db:
        try:
            config = cache.get(db)
        except ConfigError as exc:
            for issue in exc.issues:
                typer.echo(str(issue))
            raise fail(f"{len(exc.issues)} configuration error(s)") from None
        yield db, config


def _contact_id(db: Session, ref: str) -> int:
    ref_id = as_id(ref)
    found = (
        db.scalar(select(Contact.id).where(Contact.id == ref_id))
        if ref_id is not None
        else db.scalar(select(Contact.id).where(Contact.email == ref.strip().lower()))
    )
    if found is None:
        raise fail(f"no contact with id or email {ref!r}")
    return found


@routing_app.command("test")
def test(contact: str = typer.Argument(..., help="Contact id or email.")) -> None:
    """Show which rule would route CONTACT now, to whom, and why (nothing is saved)."""
    with _configured() as (db, config):
        result = routing_test(db_session=db, config=config, contact_id=_contact_id(db, contact))
        db.rollback()  # a dry run: leave no trace, not even an audit row
    target = result.owner_key or f"queue {result.queue}"
    # Plain echo, not rich: long reasons must not be wrapped mid-sentence.
    typer.echo(f"rule {result.rule_id} -> {target}")
    typer.echo(result.reason)
    for i, step in enumerate(result.trace, 1):
        typer.echo(f"  {i}. {step}")
    typer.echo(f"SLA policy {result.policy or 'none'}, tier {result.tier or 'none'}")


@sla_app.command("tick")
def tick(
    as_of: dt.datetime | None = typer.Option(
        None, help="Evaluate as of this UTC time instead of now (replays; tests)."
    ),
) -> None:
    """Run one scheduler tick: route new MQLs, evaluate SLA clocks, escalate (each breach
    once), send email. Safe to run from cron next to `tandem serve`."""
    current = settings()
    try:
        cache = ConfigCache(current.routing_path, current.sla_path)
        report = tick_once(
            settings=current,
            session_factory=make_session_factory(engine(current)),
            cache=cache,
            as_of=as_of.replace(tzinfo=as_of.tzinfo or dt.UTC) if as_of else None,
        )
    except HandoffNotConfigured as exc:
        raise fail(str(exc)) from None
    except ConfigError as exc:
        for issue in exc.issues:
            typer.echo(str(issue))
        raise fail(f"{len(exc.issues)} configuration error(s)") from None
    fields = report.model_dump(exclude={"as_of"})
    typer.echo(
        f"tick at {report.as_of:%Y-%m-%d %H:%M:%S} UTC: "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in fields.items())
    )
