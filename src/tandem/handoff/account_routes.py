"""Account handoffs on the web: the packet page and its JSON twin, accept and reject (page forms
with CSRF, API with a token). Handlers only translate. Installed on `pages.router` (under
/handoff, with its CSRF check) and `api.router` (under /api/v1/handoff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem.accounts.service import AccountNotFound
from tandem.auth import permissions
from tandem.auth.models import User
from tandem.db import utcnow
from tandem.handoff import account_service as service
from tandem.handoff.account_packet import build_account_packet
from tandem.handoff.deps import Config
from tandem.handoff.models import Subject
from tandem.handoff.reasons import UnknownRejectReason
from tandem.handoff.schemas import (
    AccountAnswerIn,
    AccountPacketView,
    AccountRejectIn,
    HandoffRead,
)
from tandem.handoff.service import HandoffError
from tandem.web.deps import ApiUser, DbSession, PageUser
from tandem.web.errors import http_error
from tandem.web.ids import PathId
from tandem.web.pages import render

_422 = {422: {"description": "an unknown subject, or a missing or unknown reason code"}}


def _packet(
    request: Request, db: DbSession, user: User, config: Config, account_id: int
) -> AccountPacketView:
    try:
        return build_account_packet(
            db_session=db,
            config=config,
            account_id=account_id,
            as_of=utcnow(),
            visible_to=permissions.visible_to(request, user),
        )
    except AccountNotFound as exc:
        raise HTTPException(404, str(exc)) from None


def _page(
    request: Request,
    db: DbSession,
    user: PageUser,
    config: Config,
    account_id: int,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "handoff_account.html",
        status_code=status_code,
        user=user,
        p=_packet(request, db, user, config, account_id),
        errors=errors or {},
        form=form or {},
    )


def account_page(
    request: Request, db: DbSession, user: PageUser, config: Config, account_id: PathId
) -> HTMLResponse:
    return _page(request, db, user, config, account_id)


def accept_page(
    db: DbSession,
    user: PageUser,
    config: Config,
    account_id: PathId,
    subject: Annotated[str, Form()] = Subject.ACCOUNT,
) -> RedirectResponse:
    try:
        service.accept(
            db_session=db,
            config=config,
            account_id=account_id,
            subject=subject,
            user=user,
            as_of=utcnow(),
        )
    except HandoffError as exc:
        raise http_error(exc) from None
    return RedirectResponse(f"/handoff/queue?done=accepted-account:{account_id}", status_code=303)


def reject_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    config: Config,
    account_id: PathId,
    subject: Annotated[str, Form()] = Subject.ACCOUNT,
    reason_code: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    form = {"subject": subject, "reason_code": reason_code, "comment": comment}
    if not reason_code.strip():
        errors = {"reason_code": "choose why you reject this handoff"}
        return _page(request, db, user, config, account_id, 422, errors, form)
    try:
        service.reject(
            db_session=db,
            config=config,
            account_id=account_id,
            subject=subject,
            user=user,
            reason_code=reason_code.strip(),
            comment=comment,
            as_of=utcnow(),
        )
    except UnknownRejectReason as exc:
        return _page(request, db, user, config, account_id, 422, {"reason_code": str(exc)}, form)
    except HandoffError as exc:
        raise http_error(exc) from None
    return RedirectResponse(f"/handoff/queue?done=rejected-account:{account_id}", status_code=303)


def get_account_packet(
    request: Request, db: DbSession, user: ApiUser, config: Config, account_id: PathId
) -> AccountPacketView:
    """The packet of a handed-off account: its handoffs (MQA, expansion, churn risk) with
    clocks and reject reasons, the account packet and, for signals, the usage behind them."""
    return _packet(request, db, user, config, account_id)


def accept_api(
    db: DbSession, user: ApiUser, config: Config, account_id: PathId, body: AccountAnswerIn
) -> HandoffRead:
    """Accept the account's open handoff of `subject` (403 when it is not yours or your
    team's; 409 when none is open). Accepting an expansion opens its opportunity."""
    try:
        return service.accept(
            db_session=db,
            config=config,
            account_id=account_id,
            subject=body.subject,
            user=user,
            as_of=utcnow(),
        )
    except HandoffError as exc:
        raise http_error(exc) from None


def reject_api(
    db: DbSession, user: ApiUser, config: Config, account_id: PathId, body: AccountRejectIn
) -> HandoffRead:
    """Reject the account's open handoff of `subject` with a reason code of that subject
    (422 naming `reason_code` otherwise) and an optional comment."""
    try:
        return service.reject(
            db_session=db,
            config=config,
            account_id=account_id,
            subject=body.subject,
            user=user,
            reason_code=body.reason_code,
            comment=body.comment,
            as_of=utcnow(),
        )
    except UnknownRejectReason as exc:
        raise RequestValidationError(
            [{"loc": ("body", "reason_code"), "msg": str(exc), "type": "value_error"}]
        ) from None
    except HandoffError as exc:
        raise http_error(exc) from None


def install_pages(router: APIRouter) -> None:
    """Add the account handoff pages to the handoff's page router."""
    path = "/accounts/{account_id}"
    router.add_api_route(path, account_page, methods=["GET"], response_class=HTMLResponse)
    router.add_api_route(f"{path}/accept", accept_page, methods=["POST"])
    router.add_api_route(f"{path}/reject", reject_page, methods=["POST"], response_model=None)


def install_api(router: APIRouter) -> None:
    """Add the account handoff JSON routes to the handoff's API router."""
    path = "/accounts/{account_id}"
    router.add_api_route(
        path, get_account_packet, methods=["GET"], response_model=AccountPacketView
    )
    for verb, handler in (("accept", accept_api), ("reject", reject_api)):
        router.add_api_route(
            f"{path}/{verb}", handler, methods=["POST"], response_model=HandoffRead, responses=_422
        )
