"""Request dependencies: the database session and the signed-in user."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.auth.permissions import authorize
from tandem.db import session_scope, utcnow
from tandem.web import preferences
from tandem.web.csrf import SAFE_METHODS, SESSION_COOKIE, check_header


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def get_db(request: Request) -> Iterator[Session]:
    """One session per request, committed when the handler succeeds."""
    with session_scope(request.app.state.session_factory) as session:
        yield session


# "function" scope: commit before the response leaves, so a redirect's next request (e.g. the
# page after sign-in) always sees what this one wrote.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def _session_user(request: Request, db: Session) -> User | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    idle = timedelta(minutes=request.app.state.settings.session_idle_minutes)
    return auth.user_for_session(db_session=db, secret=secret, now=utcnow(), idle=idle)


def page_user(request: Request, db: DbSession) -> User:
    """The signed-in user for an HTML page, or a redirect to the login page."""
    user = _session_user(request, db)
    if user is None:
        raise LoginRequired(str(request.url.path))
    authorize(request, db, user)  # the route's rule in tandem.auth.permissions
    # Dates on the page in the user's own time zone (tandem.web.templating's `dt`).
    request.state.time_zone = preferences.time_zone(db, user.id)
    return user


def api_user(request: Request, db: DbSession) -> User:
    """The user behind an API call: a bearer token, or the browser session for the JSON twins."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = auth.user_for_api_token(db_session=db, plain=header[7:].strip(), now=utcnow())
    else:
        user = _session_user(request, db)
        if user is not None and request.method not in SAFE_METHODS:
            # A browser sends the cookie on its own: every API write made with it carries the
            # session's CSRF token (a route cannot forget it: goals did, issue 21).
            check_header(request)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or invalid credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    authorize(request, db, user)  # the route's rule in tandem.auth.permissions
    return user


__all__ = ["SESSION_COOKIE", "ApiUser", "DbSession", "LoginRequired", "PageUser"]

PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]
