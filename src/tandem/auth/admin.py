"""User administration: invitations and password resets by one-time link, roles, deactivation
and API tokens per user. Keyword-only functions over a session, raising domain errors; every
change is on the audit log (`tandem.auth.service` records role, status and token changes).

A link's token is random and sent by email; only its SHA-256 is stored, with an expiry, and it
works once. An invited user has no password (`NO_PASSWORD`) until they follow the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem import errors
from tandem.audit import service as audit
from tandem.auth import service as auth
from tandem.auth.links import HOURS
from tandem.auth.models import ApiToken, User, UserLink, UserSession
from tandem.auth.passwords import hash_password
from tandem.auth.roles import ROLE_TEAM, Role, TeamKind
from tandem.auth.tokens import digest, new_secret

#: The stored "hash" of a user who has not set a password: no password verifies against it.
NO_PASSWORD = "!"
PASSWORD_MIN, PASSWORD_MAX = 8, 256


class AdminError(errors.DomainError, ValueError):
    """A user-administration step that cannot be taken (said why)."""


class NotYourself(AdminError, errors.Conflict):
    """An admin may not demote or deactivate themselves (another admin does it)."""


class LinkInvalid(AdminError, errors.NotFound):
    """The link is unknown, used already or expired."""


class BadPassword(AdminError, errors.Invalid):
    """The new password is too short or too long."""


@dataclass(frozen=True)
class UserRow:
    """A user as the admin list shows it."""

    id: int
    email: str
    name: str
    role: str
    team: str | None
    status: str  # active | invited | deactivated
    last_login_at: datetime | None
    live_tokens: int


def status_of(user: User) -> str:
    """`deactivated`, `invited` (no password set yet) or `active`."""
    if not user.is_active:
        return "deactivated"
    return "invited" if user.password_hash == NO_PASSWORD else "active"


def list_users(*, db_session: Session) -> list[UserRow]:
    """Every user, by email, with their status and number of live API tokens."""
    live = dict(
        db_session.execute(
            select(ApiToken.user_id, func.count())
            .where(ApiToken.revoked_at.is_(None))
            .group_by(ApiToken.user_id)
        ).all()
    )
    users = db_session.scalars(select(User).order_by(User.email))
    return [
        UserRow(
            id=u.id,
            email=u.email,
            name=u.name,
            role=u.role,
            team=u.team.name if u.team else None,
            status=status_of(u),
            last_login_at=u.last_login_at,
            live_tokens=int(live.get(u.id, 0)),
        )
        for u in users
    ]


def get_user(*, db_session: Session, user_id: int) -> User:
    """The user with this id (NotFound otherwise)."""
    user = db_session.get(User, user_id)
    if user is None:
        raise errors.NotFound(f"no user with id {user_id}")
    return user


def invite(
    *,
    db_session: Session,
    email: str,
    name: str,
    role: Role,
    team: str | None,
    actor: User,
    now: datetime,
) -> tuple[User, str]:
    """Create a user without a password and a one-time invitation link; returns the user and
    the link's token (sent by email, never stored)."""
    email = email.strip().lower()
    if auth.get_by_email(db_session=db_session, email=email):
        raise AdminError(f"a user with email {email} already exists")
    team_row = None
    if team and team.strip():
        kind = ROLE_TEAM[role] or TeamKind.SALES
        team_row = auth.get_or_create_team(db_session=db_session, name=team.strip(), kind=kind)
    user = User(
        email=email, name=name.strip(), password_hash=NO_PASSWORD, role=role.value, team=team_row
    )
    db_session.add(user)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor_user_id=actor.id,
        action="user.invite",
        entity_type="user",
        entity_id=user.id,
        after={"email": email, "role": role.value, "team": team_row.name if team_row else None},
    )
    return user, _issue(db_session, user, "invite", actor, now, HOURS["invite"])


def reset_link(*, db_session: Session, user: User, actor: User, now: datetime) -> str:
    """A one-time password-reset link for an active user (earlier unused links stop working)."""
    if not user.is_active:
        raise AdminError(f"{user.email} is deactivated: reactivate them first")
    purpose = "invite" if user.password_hash == NO_PASSWORD else "reset"
    hours = HOURS[purpose]
    token = _issue(db_session, user, purpose, actor, now, hours)
    audit.record(
        db_session=db_session,
        actor_user_id=actor.id,
        action=f"user.{purpose}_link",
        entity_type="user",
        entity_id=user.id,
    )
    return token


def _issue(db: Session, user: User, purpose: str, actor: User, now: datetime, hours: int) -> str:
    for old in db.scalars(
        select(UserLink).where(UserLink.user_id == user.id, UserLink.used_at.is_(None))
    ):
        old.used_at = now  # one live link per user: a new one retires the old
    token = new_secret()
    db.add(
        UserLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=digest(token),
            created_by_id=actor.id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    db.flush()
    return token


def link_for(*, db_session: Session, token: str, now: datetime) -> UserLink:
    """The live link with this token (LinkInvalid when unknown, used, expired or its user
    deactivated)."""
    row = db_session.scalar(select(UserLink).where(UserLink.token_hash == digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise LinkInvalid(
            "this link is unknown, used already or expired: ask an admin for a new one"
        )
    user = db_session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise LinkInvalid("this account is deactivated: ask an admin")
    return row


def set_password(*, db_session: Session, token: str, password: str, now: datetime) -> User:
    """Follow a link: set the password, use the link up, end the user's other sessions."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise BadPassword(f"password: {PASSWORD_MIN} to {PASSWORD_MAX} characters")
    row = link_for(db_session=db_session, token=token, now=now)
    user = get_user(db_session=db_session, user_id=row.user_id)
    row.used_at = now
    user.password_hash = hash_password(password)
    for session in db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
        db_session.delete(session)
    audit.record(
        db_session=db_session,
        actor_user_id=user.id,
        action="user.set_password",
        entity_type="user",
        entity_id=user.id,
        after={"via": row.purpose},
    )
    return user


def change_role(*, db_session: Session, user: User, role: Role, actor: User) -> User:
    """Give `user` another role (an admin does not demote themselves)."""
    if user.id == actor.id and role is not Role.ADMIN:
        raise NotYourself("you cannot take away your own admin role: another admin can")
    if user.role == role.value:
        return user
    return auth.set_role(db_session=db_session, email=user.email, role=role, actor_id=actor.id)


def set_active(*, db_session: Session, user: User, active: bool, actor: User) -> User:
    """Deactivate (sessions end; tokens stop authenticating at once) or reactivate `user`."""
    if user.id == actor.id and not active:
        raise NotYourself("you cannot deactivate yourself: another admin can")
    return auth.set_active(
        db_session=db_session, email=user.email, active=active, actor_id=actor.id
    )


def tokens_of(*, db_session: Session, user: User) -> list[ApiToken]:
    """The user's API tokens, newest first (revoked ones too)."""
    return list(
        db_session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(
    *, db_session: Session, user: User, token_id: int, actor: User, now: datetime
) -> ApiToken:
    """Revoke one of `user`'s tokens (NotFound when it is not theirs)."""
    token = db_session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise errors.NotFound(f"{user.email} has no API token {token_id}")
    auth.revoke_api_token(db_session=db_session, token_id=token_id, now=now, actor_id=actor.id)
    return token
