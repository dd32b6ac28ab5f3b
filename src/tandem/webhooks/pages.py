"""`/admin/webhooks`: subscribe, remove, and the delivery log."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tandem.db import utcnow
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.errors import http_error
from tandem.web.ids import PathId
from tandem.web.pages import render
from tandem.webhooks import service
from tandem.webhooks.schemas import SubscriptionIn
from tandem.webhooks.topics import TOPICS

router = APIRouter(prefix="/admin/webhooks", dependencies=[Depends(verify_csrf)])


def _page(
    request: Request,
    db: DbSession,
    user: object,
    *,
    created: object = None,
    error: str | None = None,
    form: dict | None = None,
) -> HTMLResponse:
    return render(
        request,
        "webhooks_admin.html",
        status_code=422 if error else 200,
        user=user,
        topics=TOPICS,
        subscriptions=service.subscriptions(db_session=db),
        deliveries=service.deliveries(db_session=db, limit=100),
        created=created,
        error=error,
        form=form or {"url": "", "events": [], "description": ""},
    )


@router.get("", response_class=HTMLResponse)
def webhooks_page(request: Request, db: DbSession, user: PageUser) -> HTMLResponse:
    return _page(request, db, user)


@router.post("", response_class=HTMLResponse)
def add_webhook_form(
    request: Request,
    db: DbSession,
    user: PageUser,
    url: Annotated[str, Form(max_length=2000)] = "",
    events: Annotated[list[str] | None, Form()] = None,
    description: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    form = {"url": url, "events": events or [], "description": description}
    try:
        data = SubscriptionIn(url=url, events=events or [], description=description)
        created = service.add(db_session=db, data=data, by_user_id=user.id, now=utcnow())
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        return _page(request, db, user, error=f"{field}: {first['msg']}", form=form)
    except service.WebhookError as exc:
        return _page(request, db, user, error=str(exc), form=form)
    return _page(request, db, user, created=created)


@router.post("/{webhook_id}/remove", response_model=None)
def remove_webhook_form(db: DbSession, user: PageUser, webhook_id: PathId) -> Response:
    try:
        service.remove(db_session=db, subscription_id=webhook_id, by_user_id=user.id)
    except service.WebhookError as exc:
        raise http_error(exc) from None
    return RedirectResponse("/admin/webhooks", status_code=303)
