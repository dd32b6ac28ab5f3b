"""The signed-in user's own pages: notifications (what the bell counts) and display settings."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem.db import utcnow
from tandem.handoff import notify
from tandem.web import preferences
from tandem.web.bell import waiting_for
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.pages import render

router = APIRouter(dependencies=[Depends(verify_csrf)])


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, db: DbSession, user: PageUser) -> HTMLResponse:
    """Recent notifications, newest first, and the proposals waiting for the user."""
    return render(
        request,
        "notifications.html",
        user=user,
        inbox=notify.inbox(db_session=db, user_id=user.id, limit=100),
        waiting=waiting_for(db, user),
    )


@router.post("/notifications/read")
def notifications_read(db: DbSession, user: PageUser) -> RedirectResponse:
    notify.mark_read(db_session=db, user_id=user.id, at=utcnow())
    return RedirectResponse("/notifications", status_code=303)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, db: DbSession, user: PageUser) -> HTMLResponse:
    return _settings(request, db, user)


def _settings(
    request: Request, db: DbSession, user: object, error: str | None = None, saved: bool = False
) -> HTMLResponse:
    return render(
        request,
        "settings.html",
        status_code=422 if error else 200,
        user=user,
        zones=preferences.time_zones(),
        mine=preferences.time_zone(db, user.id),  # type: ignore[attr-defined]
        workspace_zone=request.app.state.settings.time_zone,
        error=error,
        saved=saved,
    )


@router.post("/settings", response_model=None)
def save_settings(
    request: Request,
    db: DbSession,
    user: PageUser,
    time_zone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        preferences.set_time_zone(db, user.id, time_zone.strip())
    except preferences.UnknownTimeZone as exc:
        return _settings(request, db, user, error=str(exc))
    request.state.time_zone = time_zone.strip() or None  # this answer already in the new zone
    return _settings(request, db, user, saved=True)
