"""Scoring pages: the active model, proposals with their diff and approve/reject, the backtest.
Handlers only translate; `views` builds the view-models and `approval` decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem.db import utcnow
from tandem.scoring import approval, views
from tandem.scoring.backtest_page import BacktestQuery, backtest_view
from tandem.scoring.errors import (
    InvalidModel,
    ScoringError,
    VersionNotFound,
)
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.ids import PathId
from tandem.web.pages import render

router = APIRouter(prefix="/scoring", dependencies=[Depends(verify_csrf)])


@router.get("", response_class=HTMLResponse)
def home(request: Request, db: DbSession, user: PageUser) -> HTMLResponse:
    """The active model, pending proposals, the version history and the proposal form."""
    view = views.scoring_home(db, user)
    return render(request, "scoring_home.html", user=user, s=view, form={}, issues=[], error=None)


@router.post("/proposals", response_model=None)
def propose(
    request: Request,
    db: DbSession,
    user: PageUser,
    yaml_text: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Propose a version; the form comes back with every file:line issue when it is invalid."""
    try:
        version = approval.propose(
            db_session=db, user=user, yaml_text=yaml_text, note=note or None, now=utcnow()
        )
    except ScoringError as exc:
        issues = views.issue_views(exc.issues) if isinstance(exc, InvalidModel) else []
        return render(
            request,
            "scoring_home.html",
            status_code=exc.status,
            user=user,
            s=views.scoring_home(db, user),
            form={"yaml_text": yaml_text, "note": note},
            issues=issues,
            error=None if issues else str(exc),
        )
    return RedirectResponse(f"/scoring/versions/{version.id}", status_code=303)


def _version_page(
    request: Request, db: DbSession, user: PageUser, version_id: int, **extra: object
) -> HTMLResponse:
    try:
        version = approval.get_version(db, version_id)
    except VersionNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    status_code = int(extra.pop("status_code", 200))  # type: ignore[call-overload]
    detail = views.version_detail(db, version, user)
    context = {"error": None, "done": None, **extra}
    return render(request, "scoring_version.html", status_code, user=user, v=detail, **context)


@router.get("/versions/{version_id}", response_class=HTMLResponse)
def version_page(
    request: Request, db: DbSession, user: PageUser, version_id: PathId, done: str | None = None
) -> HTMLResponse:
    """A version: its YAML, the readable diff, validation issues, approve/reject."""
    return _version_page(request, db, user, version_id, done=done)


def _decide(
    request: Request, db: DbSession, user: PageUser, version_id: int, note: str, approve: bool
) -> Response:
    try:
        if approve:
            approval.approve(
                db_session=db, user=user, version_id=version_id, note=note or None, now=utcnow()
            )
        else:
            approval.reject(
                db_session=db, user=user, version_id=version_id, note=note or None, now=utcnow()
            )
    except VersionNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ScoringError as exc:
        db.rollback()  # nothing of a refused decision may be kept
        return _version_page(request, db, user, version_id, status_code=exc.status, error=str(exc))
    done = "approved" if approve else "rejected"
    return RedirectResponse(f"/scoring/versions/{version_id}?done={done}", status_code=303)


@router.post("/versions/{version_id}/approve", response_model=None)
def approve(
    request: Request,
    db: DbSession,
    user: PageUser,
    version_id: PathId,
    note: Annotated[str, Form()] = "",
) -> Response:
    """Approve (other team's approver only): the version becomes active, contacts rescored."""
    return _decide(request, db, user, version_id, note, approve=True)


@router.post("/versions/{version_id}/reject", response_model=None)
def reject(
    request: Request,
    db: DbSession,
    user: PageUser,
    version_id: PathId,
    note: Annotated[str, Form()] = "",
) -> Response:
    """Reject (other team's approver only), with a note for the proposer."""
    return _decide(request, db, user, version_id, note, approve=False)


@router.get("/backtest", response_class=HTMLResponse)
def backtest_page(
    request: Request, db: DbSession, user: PageUser, q: Annotated[BacktestQuery, Depends()]
) -> HTMLResponse:
    """Backtest one version, or two side by side, on the workspace's history."""
    try:
        view = backtest_view(db, q, now=utcnow())
    except (ScoringError, ValueError) as exc:
        code = exc.status if isinstance(exc, ScoringError) else 422
        return render(
            request, "scoring_backtest.html", code, user=user, b=None, q=q, error=str(exc)
        )
    return render(request, "scoring_backtest.html", user=user, b=view, q=q, error=None)
