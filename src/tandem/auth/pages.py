"""`/admin/users` (admins): the users with role and status, invitations by emailed link, role
changes, deactivation, password resets and API tokens per user; `/password/{token}` (public):
where an invitee or a user resetting chooses a password. Handlers only translate: the rules
are `tandem.auth.admin`'s."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tandem import errors
from tandem.auth import admin, links
from tandem.auth.forms import InviteIn, RoleIn, TokenIn, field_errors
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.auth.service import create_api_token
from tandem.db import utcnow
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.errors import http_error
from tandem.web.ids import PathId
from tandem.web.pages import render

pages = APIRouter(dependencies=[Depends(verify_csrf)])


def send_link(request: Request, user: User, purpose: str, token: str) -> dict[str, object]:
    """Email the link of `token` to `user`; what the page says about it."""
    return links.send(request.app.state.settings, str(request.base_url), user, purpose, token)


def _list(request: Request, db: DbSession, user: User, status_code: int = 200, **extra: object):
    context = {"form": {}, "errors": {}, "sent": None, **extra}
    rows = admin.list_users(db_session=db)
    return render(
        request, "admin_users.html", status_code, user=user, users=rows, roles=list(Role), **context
    )


@pages.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: DbSession, user: PageUser) -> HTMLResponse:
    """Every user with role and status, and the invitation form."""
    return _list(request, db, user)


@pages.post("/admin/users", response_class=HTMLResponse)
def invite_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Invite someone: a user without a password and an emailed one-time link (lengths are
    checked by `InviteIn`, so a message stands beside the field)."""
    form = {"email": email, "name": name, "role": role, "team": team}
    try:
        given = InviteIn(email=email, name=name, role=role, team=team or None)  # type: ignore[arg-type]
        invited, token = admin.invite(
            db_session=db,
            email=str(given.email),
            name=given.name,
            role=given.role,
            team=given.team,
            actor=user,
            now=utcnow(),
        )
    except ValidationError as exc:
        return _list(request, db, user, 422, form=form, errors=field_errors(exc))
    except admin.AdminError as exc:
        db.rollback()
        return _list(request, db, user, exc.status, form=form, errors={"email": str(exc)})
    sent = send_link(request, invited, "invite", token)
    return _list(request, db, user, 201, sent=sent)


def _detail(
    request: Request, db: DbSession, user: User, user_id: int, status_code: int = 200, **extra
) -> HTMLResponse:
    shown = admin.get_user(db_session=db, user_id=user_id)
    context = {"error": None, "done": None, "sent": None, "new_token": None, **extra}
    return render(
        request,
        "admin_user.html",
        status_code,
        user=user,
        person=shown,
        status=admin.status_of(shown),
        tokens=admin.tokens_of(db_session=db, user=shown),
        roles=list(Role),
        **context,
    )


@pages.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(
    request: Request, db: DbSession, user: PageUser, user_id: PathId, done: str | None = None
) -> HTMLResponse:
    """One user: role, status, password reset and API tokens."""
    try:
        return _detail(request, db, user, user_id, done=(done or "")[:40] or None)
    except errors.NotFound as exc:
        raise http_error(exc) from None


def _step(request: Request, db: DbSession, user: User, user_id: int, step) -> Response:
    """Run `step(person)`; back to the user's page, saying what was done or why not."""
    try:
        person = admin.get_user(db_session=db, user_id=user_id)
        done = step(person)
    except ValidationError as exc:
        message = "; ".join(f"{k}: {v}" for k, v in field_errors(exc).items())
        return _detail(request, db, user, user_id, 422, error=message)
    except errors.NotFound as exc:
        raise http_error(exc) from None
    except errors.DomainError as exc:
        db.rollback()
        return _detail(request, db, user, user_id, exc.status, error=str(exc))
    if isinstance(done, Response):
        return done
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", status_code=303)


@pages.post("/admin/users/{user_id}/role", response_model=None)
def role_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    user_id: PathId,
    role: Annotated[str, Form()],
) -> Response:
    """Change the user's role (audited)."""

    def step(person: User) -> str:
        admin.change_role(db_session=db, user=person, role=RoleIn(role=role).role, actor=user)  # type: ignore[arg-type]
        return "role-changed"

    return _step(request, db, user, user_id, step)


@pages.post("/admin/users/{user_id}/status", response_model=None)
def status_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    user_id: PathId,
    active: Annotated[bool, Form()],
) -> Response:
    """Deactivate (sessions and tokens stop at once) or reactivate the user."""

    def step(person: User) -> str:
        admin.set_active(db_session=db, user=person, active=active, actor=user)
        return "reactivated" if active else "deactivated"

    return _step(request, db, user, user_id, step)


@pages.post("/admin/users/{user_id}/reset", response_model=None)
def reset_page(request: Request, db: DbSession, user: PageUser, user_id: PathId) -> Response:
    """Email the user a one-time link to choose a new password."""

    def step(person: User) -> Response:
        token = admin.reset_link(db_session=db, user=person, actor=user, now=utcnow())
        purpose = "invite" if person.password_hash == admin.NO_PASSWORD else "reset"
        return _detail(
            request, db, user, person.id, sent=send_link(request, person, purpose, token)
        )

    return _step(request, db, user, user_id, step)


@pages.post("/admin/users/{user_id}/tokens", response_model=None)
def token_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    user_id: PathId,
    name: Annotated[str, Form()],
) -> Response:
    """Create an API token for the user; the page shows it this once."""

    def step(person: User) -> Response:
        given = TokenIn(name=name)
        _, plain = create_api_token(db_session=db, user=person, name=given.name, actor_id=user.id)
        return _detail(request, db, user, person.id, 201, new_token=plain)

    return _step(request, db, user, user_id, step)


@pages.post("/admin/users/{user_id}/tokens/{token_id}/revoke", response_model=None)
def revoke_page(
    request: Request, db: DbSession, user: PageUser, user_id: PathId, token_id: PathId
) -> Response:
    """Revoke one of the user's API tokens (it stops working at once)."""

    def step(person: User) -> str:
        admin.revoke_token(db_session=db, user=person, token_id=token_id, actor=user, now=utcnow())
        return "token-revoked"

    return _step(request, db, user, user_id, step)


@pages.get("/password/{token}", response_class=HTMLResponse)
def password_form(request: Request, db: DbSession, token: str) -> HTMLResponse:
    """The set-password form of a live link (a clear page when it is not)."""
    try:
        link = admin.link_for(db_session=db, token=token[:100], now=utcnow())
    except admin.LinkInvalid as exc:
        return render(request, "password.html", 404, error=str(exc), link=None, token=None)
    person = admin.get_user(db_session=db, user_id=link.user_id)
    return render(request, "password.html", person=person, link=link, token=token, error=None)


@pages.post("/password/{token}", response_model=None)
def password_set(
    request: Request,
    db: DbSession,
    token: str,
    password: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
) -> Response:
    """Set the password and go to the sign-in page."""
    try:
        link = admin.link_for(db_session=db, token=token[:100], now=utcnow())
        person = admin.get_user(db_session=db, user_id=link.user_id)
        if password != repeat:
            raise admin.BadPassword("the two passwords differ")
        admin.set_password(db_session=db, token=token, password=password, now=utcnow())
    except admin.LinkInvalid as exc:
        return render(request, "password.html", 404, error=str(exc), link=None, token=None)
    except admin.BadPassword as exc:
        return render(
            request, "password.html", 422, person=person, link=link, token=token, error=str(exc)
        )
    return RedirectResponse("/login?next=/", status_code=303)
