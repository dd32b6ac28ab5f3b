"""Build the definitions view-models from the service (no HTTP here)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.definitions import service
from tandem.definitions.base import Issue
from tandem.definitions.kinds import DefinitionKind
from tandem.definitions.models import DefinitionStatus as S
from tandem.definitions.models import DefinitionVersion
from tandem.definitions.schemas import DefinitionPage, IssueView, VersionView


def page(db_session: Session, kind: DefinitionKind, user: User) -> DefinitionPage:
    """The definition page of `kind` as `user` sees it."""
    rows = service.versions(db_session=db_session, kind=kind)
    names = _names(db_session, rows)
    active = next((r for r in rows if r.status == S.ACTIVE), None)
    base = active.text if active else ""

    def view(row: DefinitionVersion) -> VersionView:
        return VersionView(
            id=row.id,
            kind=row.kind,
            name=row.name,
            version=row.version,
            status=row.status,
            source=row.source,
            note=row.note,
            proposed_by=names.get(row.proposed_by_id),
            proposed_at=row.proposed_at,
            decided_by=names.get(row.decided_by_id),
            decided_at=row.decided_at,
            decision_note=row.decision_note,
            text=row.text,
            diff="" if row is active else service.diff_text(base, row.text),
        )

    proposals = [r for r in rows if r.status == S.PROPOSED]
    role = Role(user.role)
    return DefinitionPage(
        kind=kind.name,
        title=kind.title,
        roles=(kind.roles[0].value, kind.roles[1].value),
        active=view(active) if active else None,
        proposals=[view(r) for r in proposals],
        history=[view(r) for r in rows if r.status not in (S.PROPOSED, S.ACTIVE)],
        can_propose=kind.approver_role(role) is not None,
        can_decide=[r.id for r in proposals if _may_decide(db_session, kind, r, user)],
    )


def issue_views(issues: list[Issue]) -> list[IssueView]:
    """Issues as the page and the JSON show them."""
    return [IssueView(level=str(i.level), line=i.line, text=str(i)) for i in issues]


def _may_decide(db: Session, kind: DefinitionKind, row: DefinitionVersion, user: User) -> bool:
    if row.proposed_by_id == user.id:
        return False
    proposer = db.get(User, row.proposed_by_id) if row.proposed_by_id else None
    wanted = kind.approver_role(Role(proposer.role)) if proposer else None
    return Role(user.role) is wanted if wanted else kind.approver_role(Role(user.role)) is not None


def _names(db: Session, rows: list[DefinitionVersion]) -> dict[int | None, str]:
    ids = {i for r in rows for i in (r.proposed_by_id, r.decided_by_id) if i is not None}
    if not ids:
        return {}
    return {
        uid: name for uid, name in db.execute(select(User.id, User.name).where(User.id.in_(ids)))
    }
