"""The content API (`/api/v1/content/...`): the same services as the pages, as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from tandem.auth.permissions import visible_to
from tandem.content import detail, purge, service, shares
from tandem.content.definitions import active_taxonomy
from tandem.content.schemas import (
    AssetDetail,
    AssetIn,
    AssetRow,
    DealUseIn,
    FeedbackIn,
    LibraryView,
    PurgeRow,
    ShareIn,
    ShareResult,
    UnusedView,
)
from tandem.content.taxonomy import Taxonomy
from tandem.db import utcnow
from tandem.web.deps import ApiUser, DbSession
from tandem.web.ids import PathId

router = APIRouter(prefix="/api/v1/content", tags=["content"])


def http_error(exc: service.ContentError) -> HTTPException:
    """404 for what is missing, 403 for what is not the user's, 422 for the rest."""
    if isinstance(exc, service.NotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, service.NotAllowed):
        return HTTPException(403, str(exc))
    if isinstance(exc, service.AssetInvalid):
        detail_ = [{"loc": ["body", f], "msg": m, "type": "content"} for f, m in exc.problems]
        return HTTPException(422, detail_)
    return HTTPException(422, str(exc))


@router.get("/taxonomy", response_model=Taxonomy)
def taxonomy(user: ApiUser, db: DbSession) -> Taxonomy:
    """The active content taxonomy (stages, types, personas)."""
    return active_taxonomy(db)


@router.get("/assets", response_model=LibraryView)
def list_assets(
    user: ApiUser,
    db: DbSession,
    q: Annotated[str, Query(max_length=300)] = "",
    stage: Annotated[str | None, Query(max_length=40)] = None,
    persona: Annotated[str | None, Query(max_length=60)] = None,
    type: Annotated[str | None, Query(max_length=40)] = None,
    product: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(pattern="^(draft|live|archived)$")] = None,
) -> LibraryView:
    """Search the library: every word of `q`, facets by stage, persona, type, product."""
    return service.library(db, q=q, stage=stage, persona=persona, type=type, product=product,
                           status=status, user=user)  # fmt: skip


@router.post("/assets", response_model=AssetRow, status_code=201)
def create_asset(data: AssetIn, user: ApiUser, db: DbSession) -> AssetRow:
    """Add an asset (marketers, sales managers, admins); tags checked against the taxonomy."""
    try:
        asset = service.create_asset(db, data=data, by=user)
    except service.ContentError as exc:
        raise http_error(exc) from None
    return service.asset_row(db, asset)


@router.get("/assets/{asset_id}", response_model=AssetDetail)
def get_asset(asset_id: PathId, request: Request, user: ApiUser, db: DbSession) -> AssetDetail:
    """One asset with its feedback, shares and buyer views."""
    try:
        return detail.asset_detail(db, asset_id=asset_id, user=user,
                                   visible_to=visible_to(request, user))  # fmt: skip
    except service.ContentError as exc:
        raise http_error(exc) from None


@router.put("/assets/{asset_id}", response_model=AssetRow)
def update_asset(asset_id: PathId, data: AssetIn, user: ApiUser, db: DbSession) -> AssetRow:
    """Edit and re-tag an asset (its owner, marketers, sales managers, admins)."""
    try:
        asset = service.update_asset(db, asset_id=asset_id, data=data, by=user)
    except service.ContentError as exc:
        raise http_error(exc) from None
    return service.asset_row(db, asset)


@router.post("/assets/{asset_id}/archive", response_model=AssetRow)
def archive_asset(asset_id: PathId, user: ApiUser, db: DbSession) -> AssetRow:
    """Archive an asset: its links show a neutral page from now on."""
    try:
        asset = service.archive_asset(db, asset_id=asset_id, by=user)
    except service.ContentError as exc:
        raise http_error(exc) from None
    return service.asset_row(db, asset)


@router.post("/assets/{asset_id}/shares", response_model=ShareResult, status_code=201)
def share_asset(
    asset_id: PathId, body: ShareIn, request: Request, user: ApiUser, db: DbSession
) -> ShareResult:
    """Share with one or many contacts: a personal tracked link each (shown once)."""
    try:
        return shares.share(db, asset_id=asset_id, request=body, by=user,
                            settings=request.app.state.settings,
                            base_url=str(request.base_url))  # fmt: skip
    except service.ContentError as exc:
        raise http_error(exc) from None


class FeedbackOut(BaseModel):
    asset_id: int
    rating: int
    comment: str | None


@router.put("/assets/{asset_id}/feedback", response_model=FeedbackOut)
def rate_asset(asset_id: PathId, body: FeedbackIn, user: ApiUser, db: DbSession) -> FeedbackOut:
    """Rate an asset 1-5 with a comment; rating again replaces your earlier rating."""
    try:
        row = shares.rate(db, asset_id=asset_id, by=user, feedback=body)
    except service.ContentError as exc:
        raise http_error(exc) from None
    return FeedbackOut(asset_id=asset_id, rating=row.rating, comment=row.comment)


class DealUseOut(BaseModel):
    asset_id: int
    deal_id: int
    new: bool


@router.post("/assets/{asset_id}/deals", response_model=DealUseOut)
def use_in_deal(
    asset_id: PathId, body: DealUseIn, request: Request, user: ApiUser, db: DbSession
) -> DealUseOut:
    """Mark the asset as used in a deal (once per deal)."""
    try:
        new = shares.use_in_deal(db, asset_id=asset_id, deal_id=body.deal_id, by=user,
                                 settings=request.app.state.settings)  # fmt: skip
    except service.ContentError as exc:
        raise http_error(exc) from None
    return DealUseOut(asset_id=asset_id, deal_id=body.deal_id, new=new)


@router.get("/unused", response_model=UnusedView)
def unused(
    user: ApiUser, db: DbSession, months: Annotated[int, Query(ge=1, le=120)] = 6
) -> UnusedView:
    """The purge list (never shared, never viewed, no use in `months`, expired), with the
    purges proposed and decided."""
    as_of = utcnow()
    return UnusedView(months=months, as_of=as_of,
                      rows=purge.unused(db, as_of=as_of, months=months),
                      purges=purge.purges(db), can_propose=purge.can_propose(user))  # fmt: skip


class PurgeIn(BaseModel):
    months: int = Field(default=6, ge=1, le=120)


class DecisionIn(BaseModel):
    comment: str | None = None


def _purge_row(db: DbSession, purge_id: int) -> PurgeRow:
    return next(p for p in purge.purges(db, limit=1000) if p.id == purge_id)


@router.post("/purges", response_model=PurgeRow, status_code=201)
def propose_purge(body: PurgeIn, user: ApiUser, db: DbSession) -> PurgeRow:
    """Propose archiving today's purge list; the other team approves or rejects."""
    if not 1 <= body.months <= 120:
        raise HTTPException(422, "months: between 1 and 120")
    try:
        made = purge.propose(db, by=user, as_of=utcnow(), months=body.months)
    except service.ContentError as exc:
        raise http_error(exc) from None
    return _purge_row(db, made.id)


@router.post("/purges/{purge_id}/{decision}", response_model=PurgeRow)
def decide_purge(
    purge_id: PathId, decision: str, user: ApiUser, db: DbSession, body: DecisionIn | None = None
) -> PurgeRow:
    """Approve (archives the listed assets) or reject a purge proposed by the other team."""
    if decision not in ("approve", "reject"):
        raise HTTPException(404, "approve or reject")
    try:
        done = purge.decide(db, purge_id=purge_id, by=user, approve=decision == "approve",
                            as_of=utcnow(), comment=body.comment if body else None)  # fmt: skip
    except service.ContentError as exc:
        raise http_error(exc) from None
    return _purge_row(db, done.id)
