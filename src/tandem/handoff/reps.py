"""Reps' live settings: away (routing skips them), a capacity override, how email arrives.

Each change is written to the audit log with before and after: these settings steer routing
as much as routing.yaml does.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tandem import errors
from tandem.audit import service as audit
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.handoff.models import RepSetting
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.schemas import RepSettingsIn
from tandem.handoff.service import HandoffError, NotAllowed


class UserNotFound(HandoffError, errors.NotFound):
    """No user with that id."""


def _check_user(db_session: Session, user_id: int) -> None:
    if db_session.get(User, user_id) is None:
        raise UserNotFound(f"no user with id {user_id}")


def get_settings(db_session: Session, user_id: int) -> RepSettingsIn:
    """A user's settings (defaults when never set)."""
    _check_user(db_session, user_id)
    row = db_session.get(RepSetting, user_id)
    if row is None:
        return RepSettingsIn(away=False, email_mode="instant", capacity=None)
    return RepSettingsIn(away=row.away, email_mode=row.email_mode, capacity=row.capacity)


def _may_manage(config: HandoffConfig, actor: User, user_id: int) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.SALES_MANAGER and actor.id in config.managers_for(user_id, None)


def update_settings(
    *,
    db_session: Session,
    config: HandoffConfig,
    actor: User,
    user_id: int,
    changes: RepSettingsIn,
) -> RepSettingsIn:
    """Apply the fields given in `changes`. Users set their own away flag and email mode;
    their manager (or an admin) may set those too, and alone may override capacity."""
    _check_user(db_session, user_id)
    own = actor.id == user_id
    if not own and not _may_manage(config, actor, user_id):
        raise NotAllowed("only the user, their manager or an admin may change these settings")
    if "capacity" in changes.model_fields_set and not _may_manage(config, actor, user_id):
        raise NotAllowed("only a manager or an admin may override a rep's capacity")
    row = db_session.get(RepSetting, user_id) or RepSetting(
        user_id=user_id, away=False, email_mode="instant"
    )
    before = {"away": row.away, "capacity": row.capacity, "email_mode": row.email_mode}
    for name in changes.model_fields_set:
        value = getattr(changes, name)
        if value is not None or name == "capacity":  # capacity None removes the override
            setattr(row, name, value)
    db_session.add(row)
    after = {"away": row.away, "capacity": row.capacity, "email_mode": row.email_mode}
    if after != before:
        audit.record(
            db_session=db_session,
            actor_user_id=actor.id,
            action="handoff.rep_settings",
            entity_type="user",
            entity_id=user_id,
            before=before,
            after=after,
        )
    db_session.flush()
    return get_settings(db_session, user_id)
