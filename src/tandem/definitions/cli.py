"""`tandem definitions ...`: list, export, import (propose), approve, reject and diff versions.

The CLI acts with the operator's database access, so steps that need a person name the user
they act as (`--as EMAIL`); the same joint-approval rules apply as on the web, and the audit log
records that user. Files are only a way in: `import` proposes the file as a new version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from tandem.cli.context import console, db_session, fail
from tandem.db import utcnow
from tandem.definitions import service
from tandem.definitions.kinds import DefinitionKind, UnknownKind, kind_named
from tandem.definitions.models import DefinitionVersion

app = typer.Typer(
    help="Versioned definitions (routing rules, SLA policies): propose, approve, diff, export.",
    no_args_is_help=True,
)
KindArg = Annotated[str, typer.Argument(help="The definition kind: routing or sla.")]
AsUser = Annotated[str, typer.Option("--as", help="Email of the user taking this step.")]
Note = Annotated[str | None, typer.Option(help="A note kept with the step and in the audit log.")]
Format = Annotated[str, typer.Option("--format", help="text or json.")]


def _kind(name: str) -> DefinitionKind:
    try:
        return kind_named(name)
    except UnknownKind as exc:
        raise fail(str(exc)) from None


def _user(db: object, email: str) -> object:
    from tandem.auth import service as auth

    user = auth.get_by_email(db_session=db, email=email)  # type: ignore[arg-type]
    if user is None or not user.is_active:
        raise fail(f"no active user with email {email}")
    return user


@contextmanager
def _step() -> Iterator[None]:
    """Domain errors as one line each (every issue at file:line), exit 1."""
    try:
        yield
    except service.InvalidDefinition as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        raise fail(f"{len(exc.issues)} error(s): nothing was stored") from None
    except (service.DefinitionError, LookupError) as exc:
        raise fail(str(exc)) from None


def _row(v: DefinitionVersion) -> dict[str, object]:
    return {
        "id": v.id,
        "kind": v.kind,
        "name": v.name,
        "version": v.version,
        "status": v.status,
        "source": v.source,
        "proposed_by_id": v.proposed_by_id,
        "proposed_at": v.proposed_at.isoformat(),
        "decided_by_id": v.decided_by_id,
        "decided_at": v.decided_at.isoformat() if v.decided_at else None,
        "sha256": v.sha256,
    }


@app.command("list")
def list_(
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    fmt: Format = "text",
) -> None:
    """Every version of every definition, newest first, with its status."""
    chosen = _kind(kind) if kind else None
    with db_session() as db:
        rows = [_row(v) for v in service.versions(db_session=db, kind=chosen)]
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print("no definitions stored yet")
    for r in rows:
        decided = f", decided {r['decided_at'][:16]}" if r["decided_at"] else ""
        console.print(
            f"{r['id']:>4}  {r['kind']:<10} {r['name']}@{r['version']:<4} {r['status']:<10} "
            f"from {r['source']}{decided}",
            highlight=False,
        )


@app.command("export")
def export(
    kind: KindArg,
    version: Annotated[int | None, typer.Option(help="Version number (default: active).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Print (or write) a version's YAML, the active one by default."""
    chosen = _kind(kind)
    with db_session() as db, _step():
        row = (
            service.get_version(db_session=db, kind=chosen, version=version)
            if version
            else service.active(db_session=db, kind=chosen)
        )
        if row is None:
            raise fail(f"no active {kind} definition yet")
        text = row.text
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {kind} v{row.version} to {output}")
    else:
        typer.echo(text, nl=False)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A YAML file.", exists=True, dir_okay=False)],
    kind: Annotated[str, typer.Option(help="The definition kind: routing or sla.")],
    as_user: AsUser,
    note: Note = None,
) -> None:
    """Propose the file as a new version (checked first: every issue at file:line)."""
    chosen = _kind(kind)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}") from None
    with db_session() as db, _step():
        user = _user(db, as_user)
        row = service.propose(
            db_session=db,
            kind=chosen,
            text=text,
            user=user,  # type: ignore[arg-type]
            at=utcnow(),
            source=f"file:{file}",
            note=note,
        )
        console.print(
            f"proposed {kind} v{row.version} (id {row.id}); the other role approves it: "
            f"tandem definitions approve {row.id} --kind {kind} --as EMAIL",
            highlight=False,
        )


def _decide(version_id: int, kind: str, as_user: str, note: str | None, approve: bool) -> None:
    chosen = _kind(kind)
    with db_session() as db, _step():
        user = _user(db, as_user)
        step = service.approve if approve else service.reject
        row = step(
            db_session=db,
            version_id=version_id,
            user=user,  # type: ignore[arg-type]
            at=utcnow(),
            kind=chosen,
            note=note,
        )
        console.print(f"{kind} v{row.version} is {row.status}", highlight=False)


@app.command()
def approve(
    version_id: Annotated[int, typer.Argument(help="The version's id (see `list`).")],
    kind: Annotated[str, typer.Option(help="The definition kind: routing or sla.")],
    as_user: AsUser,
    note: Note = None,
) -> None:
    """Approve a proposal (the other role of the pair): it becomes the active version."""
    _decide(version_id, kind, as_user, note, approve=True)


@app.command()
def reject(
    version_id: Annotated[int, typer.Argument(help="The version's id (see `list`).")],
    kind: Annotated[str, typer.Option(help="The definition kind: routing or sla.")],
    as_user: AsUser,
    note: Note = None,
) -> None:
    """Reject a proposal (or withdraw your own)."""
    _decide(version_id, kind, as_user, note, approve=False)


@app.command()
def diff(
    kind: KindArg,
    version: Annotated[int, typer.Argument(help="The version number to compare.")],
    against: Annotated[
        int | None, typer.Option(help="The version to compare with (default: active).")
    ] = None,
) -> None:
    """A unified diff between a version and the active one (or `--against` another)."""
    chosen = _kind(kind)
    with db_session() as db, _step():
        row = service.get_version(db_session=db, kind=chosen, version=version)
        base = (
            service.get_version(db_session=db, kind=chosen, version=against)
            if against
            else service.active(db_session=db, kind=chosen)
        )
        labels = (f"{kind} v{base.version}" if base else "(none)", f"{kind} v{row.version}")
        text = service.diff_text(base.text if base else "", row.text, labels=labels)
    typer.echo(text or "no difference", nl=not text)
