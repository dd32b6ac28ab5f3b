"""The handoff JSON API under /api/v1/handoff: the view-models the pages render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError

from tandem.analytics.web import facts_cache
from tandem.auth import permissions
from tandem.contacts.service import ContactNotFound
from tandem.db import utcnow
from tandem.handoff import account_routes, assign, notify, queue, reports, reps, service
from tandem.handoff.commitments import CommitmentRow
from tandem.handoff.deps import Config, Scores
from tandem.handoff.packet import build_packet, with_sections
from tandem.handoff.reasons import UnknownRejectReason
from tandem.handoff.schemas import (
    BoardView,
    DecisionOut,
    InboxView,
    PacketView,
    QueueView,
    RejectIn,
    RejectReport,
    RepSettingsIn,
    RoutingTest,
)
from tandem.ids import BodyId
from tandem.web.deps import ApiUser, DbSession
from tandem.web.errors import http_error
from tandem.web.ids import PathId

router = APIRouter(prefix="/api/v1/handoff", tags=["handoff"])
account_routes.install_api(router)  # accounts handed off: /accounts/{account_id}


@router.get("/queue", response_model=QueueView)
def get_queue(db: DbSession, user: ApiUser, config: Config, scores: Scores) -> QueueView:
    """The caller's queue: leads to accept or reject, most urgent first."""
    return queue.rep_queue(db_session=db, config=config, user=user, as_of=utcnow(), scores=scores)


@router.get("/leads/{contact_id}", response_model=PacketView)
def get_packet(
    request: Request,
    db: DbSession,
    user: ApiUser,
    config: Config,
    scores: Scores,
    contact_id: PathId,
) -> PacketView:
    """The handoff packet of one lead, with the panels other capabilities add (`sections`)."""
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
    return with_sections(
        packet, db_session=db, facts=lambda: facts_cache(request.app).get(db), as_of=utcnow()
    )


@router.post("/leads/{contact_id}/accept", response_model=DecisionOut)
def accept(db: DbSession, user: ApiUser, config: Config, contact_id: PathId) -> DecisionOut:
    """Accept a lead in your queue (MQL -> SAL). 409 when it is not in your queue or was
    already handled; 403 for roles other than sales."""
    try:
        return service.accept(
            db_session=db, config=config, contact_id=contact_id, user=user, as_of=utcnow()
        )
    except service.HandoffError as exc:
        raise http_error(exc) from None


@router.post("/leads/{contact_id}/reject", response_model=DecisionOut)
def reject(
    db: DbSession, user: ApiUser, config: Config, contact_id: PathId, body: RejectIn
) -> DecisionOut:
    """Reject a lead with a reason code from the configured list (422 naming `reason_code`
    otherwise) and an optional comment; it goes back to marketing with the reason."""
    try:
        return service.reject(
            db_session=db,
            config=config,
            contact_id=contact_id,
            user=user,
            reason_code=body.reason_code,
            comment=body.comment,
            as_of=utcnow(),
        )
    except UnknownRejectReason as exc:
        raise RequestValidationError(
            [{"loc": ("body", "reason_code"), "msg": str(exc), "type": "value_error"}]
        ) from None
    except service.HandoffError as exc:
        raise http_error(exc) from None


@router.get("/board", response_model=BoardView)
def board(db: DbSession, user: ApiUser, config: Config, scores: Scores) -> BoardView:
    """The SLA board of the caller's teams (all teams for admins and executives)."""
    try:
        return queue.sla_board(
            db_session=db, config=config, user=user, as_of=utcnow(), scores=scores
        )
    except service.HandoffError as exc:
        raise http_error(exc) from None


@router.get("/reports/rejects", response_model=RejectReport)
def reject_reasons(
    db: DbSession,
    user: ApiUser,
    config: Config,
    by: reports.Dimension = "campaign",
    days: Annotated[int, Query(ge=1, le=3660)] = 90,
) -> RejectReport:
    """Reject reasons by campaign, channel or source."""
    return reports.reject_report(db_session=db, config=config, as_of=utcnow(), by=by, days=days)


@router.get("/commitments", response_model=list[CommitmentRow])
def commitments(db: DbSession, user: ApiUser, config: Config) -> list[CommitmentRow]:
    """Marketing's MQL commitments and their attainment."""
    return reports.commitments(db_session=db, config=config, as_of=utcnow())


@router.get("/routing/{contact_id}", response_model=RoutingTest)
def routing_test(
    db: DbSession, user: ApiUser, config: Config, scores: Scores, contact_id: PathId
) -> RoutingTest:
    """Where this contact would be routed now, and why (nothing is saved)."""
    try:
        return assign.routing_test(
            db_session=db, config=config, contact_id=contact_id, scores=scores
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/inbox", response_model=InboxView)
def get_inbox(db: DbSession, user: ApiUser, unread: bool = False) -> InboxView:
    """The caller's notifications, newest first."""
    return notify.inbox(db_session=db, user_id=user.id, unread_only=unread)


@router.post("/inbox/read")
def read_inbox(db: DbSession, user: ApiUser, ids: list[BodyId] | None = None) -> dict[str, int]:
    """Mark notifications read (all of them when no ids are given)."""
    return {"marked": notify.mark_read(db_session=db, user_id=user.id, at=utcnow(), ids=ids)}


@router.get("/reps/{user_id}/settings", response_model=RepSettingsIn)
def get_rep_settings(db: DbSession, user: ApiUser, user_id: PathId) -> RepSettingsIn:
    """A rep's away flag, capacity override and email mode."""
    try:
        return reps.get_settings(db, user_id)
    except service.HandoffError as exc:
        raise http_error(exc) from None


@router.put("/reps/{user_id}/settings", response_model=RepSettingsIn)
def put_rep_settings(
    db: DbSession, user: ApiUser, config: Config, user_id: PathId, body: RepSettingsIn
) -> RepSettingsIn:
    """Change a rep's settings (audited); capacity only by their manager or an admin."""
    try:
        return reps.update_settings(
            db_session=db, config=config, actor=user, user_id=user_id, changes=body
        )
    except service.HandoffError as exc:
        raise http_error(exc) from None
