"""`/api/v1/admin/users...` (admins): the JSON twin of `/admin/users`, from the same service."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from tandem import errors
from tandem.auth import admin
from tandem.auth.forms import InviteIn, RoleIn, StatusIn, TokenIn
from tandem.auth.models import ApiToken, User
from tandem.auth.pages import send_link
from tandem.auth.service import create_api_token
from tandem.db import utcnow
from tandem.web.deps import ApiUser, DbSession
from tandem.web.errors import http_error
from tandem.web.ids import PathId

api = APIRouter(prefix="/api/v1/admin/users", tags=["admin"])
REFUSED = {
    404: {"description": "No such user or token"},
    409: {"description": "An admin may not demote or deactivate themselves"},
}


class UserOut(BaseModel):
    """A user as the admin sees them."""

    id: int
    email: str
    name: str
    role: str
    team: str | None
    status: str
    last_login_at: datetime | None
    live_tokens: int


class LinkOut(BaseModel):
    """An emailed link: sent, or why not and the link to pass on by hand."""

    user: UserOut
    mail_error: str | None
    link: str | None


class TokenOut(BaseModel):
    """An API token (never its secret, except `token` once, on creation)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    token: str | None = None


def _user_out(db: DbSession, user: User) -> UserOut:
    row = next(r for r in admin.list_users(db_session=db) if r.id == user.id)
    return UserOut(**row.__dict__)


def _token_out(token: ApiToken, plain: str | None = None) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        token=plain,
    )


def _person(db: DbSession, user_id: int) -> User:
    try:
        return admin.get_user(db_session=db, user_id=user_id)
    except errors.NotFound as exc:
        raise http_error(exc) from None


@api.get("", response_model=list[UserOut])
def list_users(db: DbSession, user: ApiUser) -> list[UserOut]:
    """Every user with role, status and live token count."""
    return [UserOut(**row.__dict__) for row in admin.list_users(db_session=db)]


@api.post("", response_model=LinkOut, status_code=201, responses={409: REFUSED[409]})
def invite(request: Request, db: DbSession, user: ApiUser, body: InviteIn) -> LinkOut:
    """Invite a user: created without a password, emailed a one-time link."""
    try:
        invited, token = admin.invite(
            db_session=db,
            email=str(body.email),
            name=body.name,
            role=body.role,
            team=body.team,
            actor=user,
            now=utcnow(),
        )
    except admin.AdminError as exc:
        raise http_error(exc) from None
    sent = send_link(request, invited, "invite", token)
    return LinkOut(user=_user_out(db, invited), mail_error=sent["mail_error"], link=sent["link"])


@api.get("/{user_id}", response_model=UserOut, responses={404: REFUSED[404]})
def get_user(db: DbSession, user: ApiUser, user_id: PathId) -> UserOut:
    """One user."""
    return _user_out(db, _person(db, user_id))


@api.post("/{user_id}/role", response_model=UserOut, responses=REFUSED)
def change_role(db: DbSession, user: ApiUser, user_id: PathId, body: RoleIn) -> UserOut:
    """Change the user's role (audited)."""
    person = _person(db, user_id)
    try:
        admin.change_role(db_session=db, user=person, role=body.role, actor=user)
    except admin.AdminError as exc:
        raise http_error(exc) from None
    return _user_out(db, person)


@api.post("/{user_id}/status", response_model=UserOut, responses=REFUSED)
def set_status(db: DbSession, user: ApiUser, user_id: PathId, body: StatusIn) -> UserOut:
    """Deactivate (sessions end, tokens refused at once) or reactivate the user."""
    person = _person(db, user_id)
    try:
        admin.set_active(db_session=db, user=person, active=body.active, actor=user)
    except admin.AdminError as exc:
        raise http_error(exc) from None
    return _user_out(db, person)


@api.post(
    "/{user_id}/reset",
    response_model=LinkOut,
    responses={404: REFUSED[404], 400: {"description": "The user is deactivated"}},
)
def reset(request: Request, db: DbSession, user: ApiUser, user_id: PathId) -> LinkOut:
    """Email the user a one-time link to choose a new password."""
    person = _person(db, user_id)
    try:
        token = admin.reset_link(db_session=db, user=person, actor=user, now=utcnow())
    except admin.AdminError as exc:
        raise http_error(exc) from None
    purpose = "invite" if person.password_hash == admin.NO_PASSWORD else "reset"
    sent = send_link(request, person, purpose, token)
    return LinkOut(user=_user_out(db, person), mail_error=sent["mail_error"], link=sent["link"])


@api.get("/{user_id}/tokens", response_model=list[TokenOut], responses={404: REFUSED[404]})
def list_tokens(db: DbSession, user: ApiUser, user_id: PathId) -> list[TokenOut]:
    """The user's API tokens, newest first."""
    person = _person(db, user_id)
    return [_token_out(t) for t in admin.tokens_of(db_session=db, user=person)]


@api.post(
    "/{user_id}/tokens", response_model=TokenOut, status_code=201, responses={404: REFUSED[404]}
)
def create_token(db: DbSession, user: ApiUser, user_id: PathId, body: TokenIn) -> TokenOut:
    """Create an API token for the user; `token` is shown this once."""
    person = _person(db, user_id)
    token, plain = create_api_token(db_session=db, user=person, name=body.name, actor_id=user.id)
    return _token_out(token, plain)


@api.post(
    "/{user_id}/tokens/{token_id}/revoke", response_model=TokenOut, responses={404: REFUSED[404]}
)
def revoke_token(db: DbSession, user: ApiUser, user_id: PathId, token_id: PathId) -> TokenOut:
    """Revoke one of the user's tokens: it stops working at once."""
    person = _person(db, user_id)
    try:
        token = admin.revoke_token(
            db_session=db, user=person, token_id=token_id, actor=user, now=utcnow()
        )
    except errors.NotFound as exc:
        raise http_error(exc) from None
    return _token_out(token)
