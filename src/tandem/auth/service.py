"""Users, sign-in, sessions and API tokens: keyword-only functions over a session."""

from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from tandem.audit import service as audit
from tandem.auth.models import ApiToken, Team, User, UserSession
from tandem.auth.passwords import hash_password, verify_password
from tandem.auth.roles import ROLE_TEAM, Role, TeamKind
from tandem.auth.schemas import UserCreate
from tandem.auth.tokens import digest, new_api_token, new_secret


class AuthError(Exception):
    """Sign-in or token check failed; the message never says which part was wrong."""


class UserExists(ValueError):
    """A user with that email already exists."""


class UserNotFound(LookupError):
    """No user with that email."""


def get_or_create_team(*, db_session: Session, name: str, kind: TeamKind) -> Team:
    """The team called `name`, created if missing."""
    team = db_session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name, kind=kind.value)
        db_session.add(team)
        db_session.flush()
    return team


def get_by_email(*, db_session: Session, email: str) -> User | None:
    """The user with this email (case-insensitive), if any."""
    return db_session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(*, db_session: Session, user_in: UserCreate, actor_id: int | None = None) -> User:
    """Create a user; a team name puts them on that team (created with the role's side)."""
    email = user_in.email.lower()
    if get_by_email(db_session=db_session, email=email):
        raise UserExists(f"a user with email {email} already exists")
    team = None
    if user_in.team:
        kind = ROLE_TEAM[user_in.role] or TeamKind.SALES
        team = get_or_create_team(db_session=db_session, name=user_in.team, kind=kind)
    user = User(
        email=email,
        name=user_in.name,
        password_hash=hash_password(user_in.password),
        role=user_in.role.value,
        team=team,
    )
    db_session.add(user)
    db_session.flush()
    if team is not None and user_in.role == Role.SALES_MANAGER and team.manager_id is None:
        team.manager_id = user.id
    audit.record(
        db_session=db_session,
        actor_user_id=actor_id,
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        after={"email": email, "role": user.role},
    )
    return user


def set_role(*, db_session: Session, email: str, role: Role, actor_id: int | None = None) -> User:
    """Change a user's role, recording before and after in the audit log."""
    user = get_by_email(db_session=db_session, email=email)
    if user is None:
        raise UserNotFound(f"no user with email {email}")
    before = user.role
    user.role = role.value
    audit.record(
        db_session=db_session,
        actor_user_id=actor_id,
        action="user.set_role",
        entity_type="user",
        entity_id=user.id,
        before={"role": before},
        after={"role": role.value},
    )
    return user


def set_active(
    *, db_session: Session, email: str, active: bool, actor_id: int | None = None
) -> User:
    """Deactivate (or reactivate) a user instead of deleting them: the audit log keeps naming
    them. Deactivating ends their browser sessions; their API tokens stop working too."""
    user = get_by_email(db_session=db_session, email=email)
    if user is None:
        raise UserNotFound(f"no user with email {email}")
    before = user.is_active
    user.is_active = active
    if not active:
        for row in db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
            db_session.delete(row)
    if before != active:
        audit.record(
            db_session=db_session,
            actor_user_id=actor_id,
            action="user.activate" if active else "user.deactivate",
            entity_type="user",
            entity_id=user.id,
            before={"is_active": before},
            after={"is_active": active},
        )
    return user


def authenticate(*, db_session: Session, email: str, password: str, now: datetime) -> User:
    """The active user with these credentials, or `AuthError` without saying which was wrong."""
    user = get_by_email(db_session=db_session, email=email)
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        raise AuthError("Email or password is incorrect.")
    user.last_login_at = now
    return user


def start_session(*, db_session: Session, user: User, now: datetime, hours: int) -> str:
    """Open a browser session; returns the cookie secret (only its hash is stored)."""
    secret = new_secret()
    db_session.add(
        UserSession(
            token_hash=digest(secret),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return secret


#: How stale `last_seen_at` may get before a request refreshes it (saves a write per request).
SEEN_RESOLUTION = timedelta(minutes=1)


def user_for_session(
    *, db_session: Session, secret: str, now: datetime, idle: timedelta | None = None
) -> User | None:
    """The signed-in user for a session cookie, or None when unknown or expired: past its
    absolute end, or unused for longer than `idle` (the row is deleted when the caller commits)."""
    row = db_session.scalar(select(UserSession).where(UserSession.token_hash == digest(secret)))
    if row is None or row.expires_at <= now or not row.user.is_active:
        return None
    seen = row.last_seen_at or row.created_at
    if idle is not None and seen is not None and now - seen > idle:
        db_session.delete(row)
        return None
    if row.last_seen_at is None or now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = now
    return row.user


def end_session(*, db_session: Session, secret: str) -> None:
    """Sign out: delete the session row."""
    row = db_session.scalar(select(UserSession).where(UserSession.token_hash == digest(secret)))
    if row is not None:
        db_session.delete(row)


def create_api_token(
    *, db_session: Session, user: User, name: str, actor_id: int | None = None
) -> tuple[ApiToken, str]:
    """Issue an API token for `user` (by `actor_id`, else themselves); the plain token is
    returned once and never stored."""
    plain = new_api_token()
    token = ApiToken(user_id=user.id, name=name, prefix=plain[:10], token_hash=digest(plain))
    db_session.add(token)
    db_session.flush()
    audit.record(
        db_session=db_session,
        actor_user_id=actor_id if actor_id is not None else user.id,
        action="api_token.create",
        entity_type="api_token",
        entity_id=token.id,
        after={"name": name, "prefix": token.prefix},
    )
    return token, plain


TOKEN_USE_RESOLUTION = timedelta(minutes=1)  # how exactly `last_used_at` follows token use


@lru_cache(maxsize=1)
def _token_statement() -> Select[tuple[ApiToken, User]]:
    # Built once: the token and its user in one statement (every API call asks).
    return (
        select(ApiToken, User)
        .join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == bindparam("token_hash"))
    )


def user_for_api_token(*, db_session: Session, plain: str, now: datetime) -> User | None:
    """The user owning a live (unrevoked) API token, or None."""
    row = db_session.execute(_token_statement(), {"token_hash": digest(plain)}).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.is_active:
        return None
    # At most once a minute: the write locks the token's row until the request commits, so
    # writing on every call would queue all of one token's concurrent requests behind each other.
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION:
        token.last_used_at = now
    return user


def revoke_api_token(
    *, db_session: Session, token_id: int, now: datetime, actor_id: int | None = None
) -> None:
    """Revoke a token so it no longer authenticates."""
    token = db_session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = now
        audit.record(
            db_session=db_session,
            actor_user_id=actor_id,
            action="api_token.revoke",
            entity_type="api_token",
            entity_id=token.id,
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat(), "prefix": token.prefix},
        )
