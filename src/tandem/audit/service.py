"""Writing to the audit log."""

from typing import Any

from sqlalchemy.orm import Session

from tandem.audit.models import AuditEvent


def record(
    *,
    db_session: Session,
    actor_user_id: int | None,
    action: str,
    entity_type: str,
    entity_id: str | int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction (so it commits with the change)."""
    event = AuditEvent(
        actor_user_id=actor_user_id,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
    )
    db_session.add(event)
    return event
