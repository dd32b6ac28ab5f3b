"""Handoff pages: the rep's queue, the packet with accept/reject, the manager's SLA board,
marketing's reject-reason report, the inbox. Handlers only translate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem.analytics.web import facts_cache
from tandem.auth import permissions
from tandem.auth.roles import Role
from tandem.contacts.service import ContactNotFound
from tandem.db import utcnow
from tandem.handoff import account_routes, assign, notify, queue, reports, reps, service
from tandem.handoff.deps import Config, Scores
from tandem.handoff.packet import build_packet, with_sections
from tandem.handoff.reasons import UnknownRejectReason
from tandem.handoff.schemas import RepSettingsIn
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.errors import http_error
from tandem.web.ids import PathId, QueryId
from tandem.web.pages import render

router = APIRouter(prefix="/handoff", dependencies=[Depends(verify_csrf)])
account_routes.install_pages(router)  # accounts handed off: /accounts/{account_id}

_HOME = {
    Role.SALES_REP.value: "/handoff/queue",
    Role.MARKETER.value: "/handoff/reports",
}


@router.get("", response_class=RedirectResponse)
def home(user: PageUser) -> RedirectResponse:
    """Each role's handoff page: reps their queue, marketers the reports, others the board."""
    return RedirectResponse(_HOME.get(user.role, "/handoff/board"), status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    config: Config,
    scores: Scores,
    done: str | None = None,
) -> HTMLResponse:
    view = queue.rep_queue(db_session=db, config=config, user=user, as_of=utcnow(), scores=scores)
    return render(request, "handoff_queue.html", user=user, q=view, done=done)


def _packet_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    config: Config,
    scores: Scores,
    contact_id: int,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        packet = build_packet(
            db_session=db,
            config=config,
            contact_id=contact_id,
            as_of=utcnow(),
            scores=scores,
            visible_to=permissions.visible_to(request, user),
        )
    except ContactNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    packet = with_sections(
        packet, db_session=db, facts=lambda: facts_cache(request.app).get(db), as_of=utcnow()
    )
    return render(
        request,
        "handoff_packet.html",
        status_code=status_code,
        user=user,
        p=packet,
        errors=errors or {},
        form=form or {},
    )


@router.get("/leads/{contact_id}", response_class=HTMLResponse)
def packet_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    config: Config,
    scores: Scores,
    contact_id: PathId,
) -> HTMLResponse:
    return _packet_page(request, db, user, config, scores, contact_id)


@router.post("/leads/{contact_id}/accept")
def accept(db: DbSession, user: PageUser, config: Config, contact_id: PathId) -> RedirectResponse:
    try:
        service.accept(
            db_session=db, config=config, contact_id=contact_id, user=user, as_of=utcnow()
        )
    except service.HandoffError as exc:
        raise http_error(exc) from None
    return RedirectResponse(f"/handoff/queue?done=accepted:{contact_id}", status_code=303)


@router.post("/leads/{contact_id}/reject", response_model=None)
def reject(
    request: Request,
    db: DbSession,
    user: PageUser,
    config: Config,
    scores: Scores,
    contact_id: PathId,
    reason_code: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    form = {"reason_code": reason_code, "comment": comment}
    if not reason_code.strip():
        errors = {"reason_code": "choose why you reject this lead"}
        return _packet_page(request, db, user, config, scores, contact_id, 422, errors, form)
    try:
        service.reject(
            db_session=db,
            config=config,
            contact_id=contact_id,
            user=user,
            reason_code=reason_code.strip(),
            comment=comment,
            as_of=utcnow(),
        )
    except UnknownRejectReason as exc:
        errors = {"reason_code": str(exc)}
        return _packet_page(request, db, user, config, scores, contact_id, 422, errors, form)
    except service.HandoffError as exc:
        raise http_error(exc) from None
    return RedirectResponse(f"/handoff/queue?done=rejected:{contact_id}", status_code=303)


@router.get("/board", response_class=HTMLResponse)
def board_page(
    request: Request, db: DbSession, user: PageUser, config: Config, scores: Scores
) -> HTMLResponse:
    try:
        view = queue.sla_board(
            db_session=db, config=config, user=user, as_of=utcnow(), scores=scores
        )
    except service.HandoffError as exc:
        raise http_error(exc) from None
    return render(request, "handoff_board.html", user=user, b=view)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    config: Config,
    by: reports.Dimension = "campaign",
    days: Annotated[int, Query(ge=1, le=3660)] = 90,
) -> HTMLResponse:
    as_of = utcnow()
    report = reports.reject_report(
        db_session=db, config=config, as_of=as_of, by=by, days=max(1, min(days, 3660))
    )
    commitments = reports.commitments(db_session=db, config=config, as_of=as_of)
    return render(
        request,
        "handoff_reports.html",
        user=user,
        r=report,
        commitments=commitments,
        dimensions=reports.DIMENSIONS,
    )


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, db: DbSession, user: PageUser) -> HTMLResponse:
    view = notify.inbox(db_session=db, user_id=user.id, limit=100)
    return render(
        request, "handoff_inbox.html", user=user, inbox=view, me=reps.get_settings(db, user.id)
    )


@router.post("/inbox/read")
def inbox_read(db: DbSession, user: PageUser) -> RedirectResponse:
    notify.mark_read(db_session=db, user_id=user.id, at=utcnow())
    return RedirectResponse("/handoff/inbox", status_code=303)


@router.post("/settings")
def my_settings(
    db: DbSession,
    user: PageUser,
    config: Config,
    email_mode: Annotated[str, Form()] = "instant",
    away: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    if email_mode not in ("instant", "digest", "off"):
        raise HTTPException(422, f"email mode {email_mode!r} is not instant, digest or off")
    changes = RepSettingsIn(away=away, email_mode=email_mode)
    reps.update_settings(db_session=db, config=config, actor=user, user_id=user.id, changes=changes)
    return RedirectResponse("/handoff/inbox", status_code=303)


@router.get("/routing", response_class=HTMLResponse)
def routing_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    config: Config,
    scores: Scores,
    contact: QueryId = None,
) -> HTMLResponse:
    result = None
    if contact is not None:
        try:
            result = assign.routing_test(
                db_session=db, config=config, contact_id=contact, scores=scores
            )
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from None
    return render(request, "handoff_routing.html", user=user, result=result, contact=contact)
