"""Proposing, approving, rejecting, listing and diffing definition versions.

Keyword-only functions over a session, raising domain errors (never HTTP ones). Every step is
on the audit log; a version that has errors is never stored; approving swaps the active version
with one conditional UPDATE, so of two approvals racing exactly one wins.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tandem import errors
from tandem.audit import service as audit
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.definitions.base import Issue
from tandem.definitions.kinds import DefinitionKind
from tandem.definitions.models import DefinitionStatus as S
from tandem.definitions.models import DefinitionVersion

MAX_TEXT = 200_000  # characters: a definition is a page of YAML, not a data file


class DefinitionError(errors.DomainError, ValueError):
    """A definition step that cannot be taken (said why)."""


class InvalidDefinition(DefinitionError, errors.Invalid):
    """The YAML has errors; `issues` holds every one at file:line."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in issues))


class NotAllowed(DefinitionError, errors.Forbidden):
    """The user's role may not take this step."""


class AlreadyDecided(DefinitionError, errors.Conflict):
    """The version was approved or rejected already (by someone else, perhaps at once)."""


def check(*, db_session: Session, kind: DefinitionKind, text: str, file: str) -> list[Issue]:
    """Every issue of `text` as a definition of `kind` (errors and warnings)."""
    if len(text) > MAX_TEXT:
        raise DefinitionError(f"{file}: the definition is over {MAX_TEXT:,} characters")
    return list(kind.check(db_session, text, file))


def _errors(issues: Sequence[Issue]) -> list[Issue]:
    return [i for i in issues if i.level == "error"]


def propose(
    *,
    db_session: Session,
    kind: DefinitionKind,
    text: str,
    user: User | None,
    at: dt.datetime,
    source: str,
    name: str | None = None,
    note: str | None = None,
) -> DefinitionVersion:
    """Store `text` as a proposed version (InvalidDefinition when it has errors). `user` None
    is the system (a file named in the environment), which may only propose through `adopt`."""
    if user is not None and kind.approver_role(Role(user.role)) is None:
        raise NotAllowed(
            f"{kind.title} are proposed by a {kind.roles[0].value} or a {kind.roles[1].value}"
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # a browser's form sends CRLF
    file = source.removeprefix("file:") if source.startswith("file:") else f"<{kind.name}>"
    errors = _errors(check(db_session=db_session, kind=kind, text=text, file=file))
    if errors:
        raise InvalidDefinition(errors)
    name = name or kind.default_name
    number = db_session.scalar(
        select(func.coalesce(func.max(DefinitionVersion.version), 0)).where(
            DefinitionVersion.kind == kind.name, DefinitionVersion.name == name
        )
    )
    row = DefinitionVersion(
        kind=kind.name,
        name=name,
        version=int(number or 0) + 1,
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        status=S.PROPOSED,
        source=source[:300],
        note=(note or "").strip()[:2000] or None,
        proposed_by_id=user.id if user else None,
        proposed_at=at,
    )
    db_session.add(row)
    db_session.flush()
    _audit(db_session, user, "definition.propose", row, after={"text": text, "source": source})
    return row


def approve(
    *,
    db_session: Session,
    version_id: int,
    user: User | None,
    at: dt.datetime,
    kind: DefinitionKind,
    note: str | None = None,
) -> DefinitionVersion:
    """Make a proposed version the active one. Only the other role of the kind's pair approves
    (`user` None: the system adopting a file). The text is checked again, as the world (users,
    the other definitions) may have changed since it was proposed."""
    row = _version(db_session, version_id, kind)
    if row.status != S.PROPOSED:
        raise AlreadyDecided(f"{_label(row)} is {row.status} already")
    if user is not None:
        proposer = db_session.get(User, row.proposed_by_id) if row.proposed_by_id else None
        wanted = kind.approver_role(Role(proposer.role)) if proposer else None
        if proposer is not None and proposer.id == user.id:
            raise NotAllowed("a version is approved by someone other than its proposer")
        if wanted is not None and Role(user.role) is not wanted:
            raise NotAllowed(
                f"{_label(row)} was proposed by a {proposer.role}: "  # type: ignore[union-attr]
                f"a {wanted.value} approves it"
            )
        if wanted is None and kind.approver_role(Role(user.role)) is None:
            raise NotAllowed(f"{kind.title} are approved by the {' or '.join(kind.roles)}")
    errors = _errors(check(db_session=db_session, kind=kind, text=row.text, file=_label(row)))
    if errors:
        raise InvalidDefinition(errors)
    previous = active(db_session=db_session, kind=kind, name=row.name)
    if previous is not None:
        db_session.execute(
            update(DefinitionVersion)
            .where(DefinitionVersion.id == previous.id, DefinitionVersion.status == S.ACTIVE)
            .values(status=S.SUPERSEDED, active_key=None)
        )
    _decide(db_session, row, S.ACTIVE, user, at, note, active_key=f"{row.kind}:{row.name}")
    _audit(
        db_session,
        user,
        "definition.approve",
        row,
        before={"active_version": previous.version if previous else None},
        after={"diff": diff_text(previous.text if previous else "", row.text)},
    )
    return row


def reject(
    *,
    db_session: Session,
    version_id: int,
    user: User,
    at: dt.datetime,
    kind: DefinitionKind,
    note: str | None = None,
) -> DefinitionVersion:
    """Turn a proposal down (the proposer may withdraw it; the other role may reject it)."""
    row = _version(db_session, version_id, kind)
    if row.status != S.PROPOSED:
        raise AlreadyDecided(f"{_label(row)} is {row.status} already")
    if kind.approver_role(Role(user.role)) is None and user.id != row.proposed_by_id:
        raise NotAllowed(f"{kind.title} are rejected by the {' or '.join(kind.roles)}")
    _decide(db_session, row, S.REJECTED, user, at, note)
    _audit(db_session, user, "definition.reject", row, after={"note": row.decision_note})
    return row


def adopt(
    *, db_session: Session, kind: DefinitionKind, text: str, source: str, at: dt.datetime
) -> DefinitionVersion | None:
    """Make `text` (a file named in the environment) the active version unless it already is;
    the system proposes and approves it, both on the audit log. Returns the new version."""
    current = active(db_session=db_session, kind=kind)
    if current is not None and current.sha256 == hashlib.sha256(text.encode()).hexdigest():
        return None
    row = propose(db_session=db_session, kind=kind, text=text, user=None, at=at, source=source)
    return approve(db_session=db_session, version_id=row.id, user=None, at=at, kind=kind)


def active(
    *, db_session: Session, kind: DefinitionKind, name: str | None = None
) -> DefinitionVersion | None:
    """The active version of a definition, if any."""
    return db_session.scalar(
        select(DefinitionVersion).where(
            DefinitionVersion.active_key == f"{kind.name}:{name or kind.default_name}"
        )
    )


def versions(*, db_session: Session, kind: DefinitionKind | None = None) -> list[DefinitionVersion]:
    """Every version (of one kind), newest first."""
    query = select(DefinitionVersion).order_by(
        DefinitionVersion.kind, DefinitionVersion.name, DefinitionVersion.version.desc()
    )
    if kind is not None:
        query = query.where(DefinitionVersion.kind == kind.name)
    return list(db_session.scalars(query))


def get_version(
    *, db_session: Session, kind: DefinitionKind, version: int, name: str | None = None
) -> DefinitionVersion:
    """Version number `version` of a definition (LookupError when there is none)."""
    row = db_session.scalar(
        select(DefinitionVersion).where(
            DefinitionVersion.kind == kind.name,
            DefinitionVersion.name == (name or kind.default_name),
            DefinitionVersion.version == version,
        )
    )
    if row is None:
        raise LookupError(f"{kind.name} has no version {version}")
    return row


def diff_text(before: str, after: str, *, labels: tuple[str, str] = ("active", "proposed")) -> str:
    """A unified diff of two YAML texts (empty when equal)."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=labels[0],
            tofile=labels[1],
        )
    )


def _decide(
    db: Session,
    row: DefinitionVersion,
    status: str,
    user: User | None,
    at: dt.datetime,
    note: str | None,
    **values: object,
) -> None:
    """Record the decision with a conditional UPDATE: of two deciders racing, one wins and the
    other is told (AlreadyDecided), nothing half-written."""
    won = db.execute(
        update(DefinitionVersion)
        .where(DefinitionVersion.id == row.id, DefinitionVersion.status == S.PROPOSED)
        .values(
            status=status,
            decided_by_id=user.id if user else None,
            decided_at=at,
            decision_note=(note or "").strip()[:2000] or None,
            **values,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if won != 1:
        raise AlreadyDecided(f"{_label(row)} was decided by someone else meanwhile")
    db.refresh(row)


def _version(db: Session, version_id: int, kind: DefinitionKind) -> DefinitionVersion:
    row = db.get(DefinitionVersion, version_id)
    if row is None or row.kind != kind.name:
        raise LookupError(f"no {kind.name} version with id {version_id}")
    return row


def _label(row: DefinitionVersion) -> str:
    return f"{row.kind} {row.name} v{row.version}"


def _audit(
    db: Session,
    user: User | None,
    action: str,
    row: DefinitionVersion,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    audit.record(
        db_session=db,
        actor_user_id=user.id if user else None,
        action=action,
        entity_type=f"definition:{row.kind}",
        entity_id=f"{row.name}@{row.version}",
        before=before,
        after={"status": row.status, **(after or {})},
    )
