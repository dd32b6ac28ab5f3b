"""The notification bell in the top bar: the user's unread notifications and the definition
proposals waiting for their approval, counted on every page and listed at `/notifications`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request

from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.capabilities import definition_kinds
from tandem.db import session_scope
from tandem.definitions.models import DefinitionStatus, DefinitionVersion
from tandem.handoff.models import Notification


@dataclass(frozen=True)
class Waiting:
    """A proposed definition version this user's role approves."""

    id: int
    kind: str
    title: str
    name: str
    version: int
    proposed_by: str
    link: str


@dataclass(frozen=True)
class Bell:
    """What the bell shows: how many unread notifications, and the proposals waiting."""

    unread: int
    waiting: list[Waiting] = field(default_factory=list)

    @property
    def count(self) -> int:
        """The number on the bell."""
        return self.unread + len(self.waiting)


def waiting_for(db_session: Session, user: User) -> list[Waiting]:
    """Proposed definitions the user may approve: proposed by the other role of their kind,
    not by the user."""
    kinds = definition_kinds()
    rows = db_session.execute(
        select(DefinitionVersion, User.name, User.role)
        .join(User, User.id == DefinitionVersion.proposed_by_id, isouter=True)
        .where(DefinitionVersion.status == DefinitionStatus.PROPOSED)
        .order_by(DefinitionVersion.proposed_at.desc())
        .limit(50)
    ).all()
    found = []
    for row, name, role in rows:
        kind = kinds.get(row.kind)
        if kind is None or row.proposed_by_id == user.id or role not in {r.value for r in Role}:
            continue
        if kind.approver_role(Role(role)) == user.role:
            found.append(
                Waiting(
                    id=row.id,
                    kind=row.kind,
                    title=kind.title,
                    name=row.name,
                    version=row.version,
                    proposed_by=name or "someone",
                    link=f"/admin/{row.kind}",
                )
            )
    return found


def ring(db_session: Session, user: User) -> Bell:
    """The bell of `user`."""
    unread = db_session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return Bell(unread=unread or 0, waiting=waiting_for(db_session, user))


def bell_for(request: Request, user: User) -> Bell:
    """The bell for the top bar of the page being rendered (its own short session)."""
    with session_scope(request.app.state.session_factory) as db:
        return ring(db, user)
