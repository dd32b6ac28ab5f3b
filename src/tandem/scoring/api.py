"""The scoring JSON API under /api/v1/scoring: the same view-models the pages render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from tandem.db import utcnow
from tandem.scoring import approval, views
from tandem.scoring.backtest_page import BacktestQuery, backtest_view
from tandem.scoring.errors import InvalidModel, ScoringError
from tandem.scoring.schemas import ScorePanel, ScoringHome, VersionDetail
from tandem.web.deps import ApiUser, DbSession
from tandem.web.errors import http_error as shared_http_error
from tandem.web.ids import PathId

router = APIRouter(prefix="/api/v1/scoring", tags=["scoring"])


class ProposalIn(BaseModel):
    """A proposed model version: the YAML file's text and a note for the approvers."""

    yaml_text: str = Field(min_length=1, max_length=1_000_000)
    note: str | None = Field(None, max_length=2000)


class DecisionIn(BaseModel):
    """An approval or rejection, with an optional note."""

    note: str | None = Field(None, max_length=2000)


def http_error(exc: ScoringError) -> HTTPException:
    """The domain error as an HTTP error; an invalid model lists every issue with its line."""
    if isinstance(exc, InvalidModel):
        issues = [i.model_dump() for i in views.issue_views(exc.issues)]
        return HTTPException(422, {"message": "the model has errors", "issues": issues})
    return shared_http_error(exc)


@router.get("", response_model=ScoringHome)
def home(db: DbSession, user: ApiUser) -> ScoringHome:
    """The active model, pending proposals and every version."""
    return views.scoring_home(db, user)


@router.get("/versions/{version_id}", response_model=VersionDetail)
def version(db: DbSession, user: ApiUser, version_id: PathId) -> VersionDetail:
    """A version with its diff against the active model (or the one it replaced)."""
    try:
        return views.version_detail(db, approval.get_version(db, version_id), user)
    except ScoringError as exc:
        raise http_error(exc) from None


@router.post("/versions", response_model=VersionDetail, status_code=201)
def propose(db: DbSession, user: ApiUser, body: ProposalIn) -> VersionDetail:
    """Propose a version (marketer or sales manager); 422 lists every issue with its line."""
    try:
        created = approval.propose(
            db_session=db, user=user, yaml_text=body.yaml_text, note=body.note, now=utcnow()
        )
    except ScoringError as exc:
        raise http_error(exc) from None
    return views.version_detail(db, created, user)


@router.post("/versions/{version_id}/approve")
def approve(db: DbSession, user: ApiUser, version_id: PathId, body: DecisionIn) -> dict[str, Any]:
    """Approve (an approver of the other team only): activates it and rescores every contact.
    403 for the proposing team or other roles, 409 when already decided or stale."""
    try:
        done, summary = approval.approve(
            db_session=db, user=user, version_id=version_id, note=body.note, now=utcnow()
        )
    except ScoringError as exc:
        raise http_error(exc) from None
    return {"id": done.id, "label": done.label, "status": done.status, "rescore": summary.as_dict()}


@router.post("/versions/{version_id}/reject")
def reject(db: DbSession, user: ApiUser, version_id: PathId, body: DecisionIn) -> dict[str, Any]:
    """Reject (an approver of the other team only)."""
    try:
        done = approval.reject(
            db_session=db, user=user, version_id=version_id, note=body.note, now=utcnow()
        )
    except ScoringError as exc:
        raise http_error(exc) from None
    return {"id": done.id, "label": done.label, "status": done.status}


@router.get("/contacts/{contact_id}", response_model=ScorePanel)
def contact_score(db: DbSession, user: ApiUser, contact_id: PathId) -> ScorePanel:
    """A contact's score as of now with its explanation, history and predictive score."""
    from tandem.contacts.models import Contact

    if db.get(Contact, contact_id) is None:
        raise HTTPException(404, f"no contact with id {contact_id}")
    return views.contact_panel(db, contact_id, as_of=utcnow())


@router.get("/backtest")
def backtest(
    db: DbSession, user: ApiUser, q: Annotated[BacktestQuery, Depends()]
) -> dict[str, Any]:
    """Backtest a version (or two side by side) on this workspace's history."""
    try:
        return backtest_view(db, q, now=utcnow()).as_dict()
    except ScoringError as exc:
        raise http_error(exc) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
