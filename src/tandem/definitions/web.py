"""Definitions in the browser and the API: `/admin/routing`, `/admin/sla` (the active version,
proposals with their diff, approve or reject, propose a new version with inline `file:line`
issues) and `/api/v1/definitions/{kind}`, both from the same view-model. Handlers only
translate; the steps and their rules are `tandem.definitions.service`'s."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from tandem.auth.models import User
from tandem.db import utcnow
from tandem.definitions import service, views
from tandem.definitions.kinds import DefinitionKind, UnknownKind, kind_named
from tandem.definitions.schemas import DefinitionPage, IssueView, VersionView
from tandem.web.csrf import verify_csrf
from tandem.web.deps import ApiUser, DbSession, PageUser
from tandem.web.errors import http_error
from tandem.web.ids import PathId
from tandem.web.pages import render

pages = APIRouter(prefix="/admin", dependencies=[Depends(verify_csrf)])
api = APIRouter(prefix="/api/v1/definitions", tags=["definitions"])
MAX_YAML = service.MAX_TEXT


def _kind(kind: str) -> DefinitionKind:
    try:
        return kind_named(kind)
    except UnknownKind as exc:
        raise HTTPException(404, str(exc)) from None


def _page(
    request: Request,
    db: DbSession,
    user: User,
    kind: DefinitionKind,
    *,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    context = {"form_text": None, "issues": [], "error": None, "done": None, **extra}
    view = views.page(db, kind, user)
    return render(request, "definitions.html", status_code, user=user, d=view, **context)


@pages.get("/{kind}", response_class=HTMLResponse)
def definition_page(
    request: Request, db: DbSession, user: PageUser, kind: str, done: str | None = None
) -> HTMLResponse:
    """The active version, proposals with their diff, history, and the proposal form."""
    return _page(request, db, user, _kind(kind), done=done)


@pages.post("/{kind}/proposals", response_model=None)
def propose_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    kind: str,
    text: Annotated[str, Form(max_length=MAX_YAML)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Propose the form's YAML; on errors the page again, each issue beside its line."""
    chosen = _kind(kind)
    try:
        row = service.propose(
            db_session=db, kind=chosen, text=text, user=user, at=utcnow(), source="web", note=note
        )
    except service.InvalidDefinition as exc:
        db.rollback()
        issues = views.issue_views(exc.issues)
        return _page(request, db, user, chosen, status_code=422, form_text=text, issues=issues)
    except service.DefinitionError as exc:
        db.rollback()
        return _page(request, db, user, chosen, status_code=exc.status, error=str(exc))
    return RedirectResponse(f"/admin/{kind}?done=proposed-v{row.version}", status_code=303)


@pages.post("/{kind}/versions/{version_id}/{decision}", response_model=None)
def decide_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    kind: str,
    version_id: PathId,
    decision: str,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Approve or reject a proposal (the other role of the pair)."""
    chosen = _kind(kind)
    step = {"approve": service.approve, "reject": service.reject}.get(decision)
    if step is None:
        raise HTTPException(404, f"no such step {decision!r}: approve or reject")
    try:
        row = step(
            db_session=db, version_id=version_id, user=user, at=utcnow(), kind=chosen, note=note
        )
    except service.InvalidDefinition as exc:
        db.rollback()
        issues = views.issue_views(exc.issues)
        return _page(request, db, user, chosen, status_code=422, issues=issues)
    except (service.DefinitionError, LookupError) as exc:
        db.rollback()
        error = http_error(exc)
        return _page(request, db, user, chosen, status_code=error.status_code, error=str(exc))
    return RedirectResponse(f"/admin/{kind}?done={row.status}-v{row.version}", status_code=303)


class ProposalIn(BaseModel):
    """A new version's YAML and an optional note."""

    text: str = Field(min_length=1, max_length=MAX_YAML)
    note: str | None = Field(None, max_length=2000)


class DecisionIn(BaseModel):
    """An approval or rejection, with an optional note."""

    note: str | None = Field(None, max_length=2000)


class Refused(BaseModel):
    """Why a proposal was refused: every issue at file:line."""

    message: str
    issues: list[IssueView]


@api.get("/{kind}", response_model=DefinitionPage)
def definition_json(db: DbSession, user: ApiUser, kind: str) -> DefinitionPage:
    """The page's view-model: active version, proposals with diffs, history."""
    return views.page(db, _kind(kind), user)


@api.post("/{kind}", response_model=VersionView, status_code=201)
def propose(db: DbSession, user: ApiUser, kind: str, body: ProposalIn) -> VersionView | Response:
    """Propose a new version (422 with every issue at file:line when it has errors)."""
    chosen = _kind(kind)
    try:
        row = service.propose(
            db_session=db,
            kind=chosen,
            text=body.text,
            user=user,
            at=utcnow(),
            source="api",
            note=body.note,
        )
    except service.InvalidDefinition as exc:
        refused = Refused(message="the definition has errors", issues=views.issue_views(exc.issues))
        raise HTTPException(422, refused.model_dump()) from None
    except service.DefinitionError as exc:
        raise http_error(exc) from None
    return _version(db, chosen, user, row.id)


@api.post("/{kind}/versions/{version_id}/{decision}", response_model=VersionView)
def decide(
    db: DbSession, user: ApiUser, kind: str, version_id: PathId, decision: str, body: DecisionIn
) -> VersionView:
    """Approve or reject a proposal (the other role of the pair); 409 once decided."""
    chosen = _kind(kind)
    step = {"approve": service.approve, "reject": service.reject}.get(decision)
    if step is None:
        raise HTTPException(404, f"no such step {decision!r}: approve or reject")
    try:
        step(
            db_session=db,
            version_id=version_id,
            user=user,
            at=utcnow(),
            kind=chosen,
            note=body.note,
        )
    except service.InvalidDefinition as exc:
        refused = Refused(message="the definition has errors", issues=views.issue_views(exc.issues))
        raise HTTPException(422, refused.model_dump()) from None
    except (service.DefinitionError, LookupError) as exc:
        raise http_error(exc) from None
    return _version(db, chosen, user, version_id)


def _version(db: DbSession, kind: DefinitionKind, user: User, version_id: int) -> VersionView:
    found = views.page(db, kind, user)
    every = [*([found.active] if found.active else []), *found.proposals, *found.history]
    return next(v for v in every if v.id == version_id)
