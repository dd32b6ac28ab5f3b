"""The goals page (`/goals`) and API (`/api/v1/goals`): team goals beside individual quotas."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from tandem.analytics.periods import Period, PeriodError, parse_period
from tandem.analytics.web import FactsDep
from tandem.auth.models import User
from tandem.db import utcnow
from tandem.goals import service
from tandem.goals.schemas import GoalIn, GoalRow, GoalsView
from tandem.ids import as_id
from tandem.web.csrf import verify_csrf
from tandem.web.deps import ApiUser, DbSession, PageUser
from tandem.web.ids import PathId

pages = APIRouter(dependencies=[Depends(verify_csrf)])
api = APIRouter(prefix="/api/v1/goals", tags=["goals"])


def _period(raw: str | None) -> tuple[Period | None, str | None]:
    if not raw:
        return None, None
    try:
        return parse_period(raw), None
    except PeriodError as exc:
        return None, str(exc)


def _require_editor(user: User) -> None:
    if not service.can_edit(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins and managers set goals")


def _render(
    request: Request,
    db: DbSession,
    user: User,
    facts: FactsDep,
    period_raw: str | None,
    error: str | None = None,
    status_code: int = 200,
    confirm: dict[str, Any] | None = None,
) -> HTMLResponse:
    period, period_error = _period(period_raw)
    vm = service.goals_view(db_session=db, facts=facts, as_of=utcnow(), period=period, user=user)
    people = db.execute(select(User.id, User.name).where(User.is_active).order_by(User.name)).all()
    return request.app.state.templates.TemplateResponse(
        request,
        "goals_page.html",
        {
            "user": user,
            "vm": vm,
            "people": people,
            "period_raw": period_raw or "",
            "error": error or period_error,
            "confirm": confirm,
        },
        status_code=422 if (error or period_error) and status_code == 200 else status_code,
    )


def _said(error: Any) -> str:
    """A validation error with its field named ("target: ... less than or equal to ...")."""
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


@pages.get("/goals", response_class=HTMLResponse)
def goals_page(
    request: Request, db: DbSession, user: PageUser, facts: FactsDep, period: str | None = None
) -> HTMLResponse:
    return _render(request, db, user, facts, period)


@pages.post("/goals", response_model=None)
def set_goal_form(
    request: Request,
    db: DbSession,
    user: PageUser,
    facts: FactsDep,
    metric: Annotated[str, Form()],
    period: Annotated[str, Form()],
    target: Annotated[str, Form()],
    owner: Annotated[str, Form()] = "",
    replace: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    _require_editor(user)
    team, user_id = (owner[5:], None) if owner.startswith("team:") else (None, owner[5:])
    try:
        goal_in = GoalIn(
            team=team or None,
            user_id=as_id(user_id) if user_id else None,
            metric=metric,
            period=period,
            target=float(target),
        )
        existing = service.existing_goal(db_session=db, goal_in=goal_in)
        if existing is not None and replace != "yes" and float(existing.target) != goal_in.target:
            # A target is already set: say which, and replace it only when asked again.
            was = {
                "owner": owner,
                "metric": metric,
                "period": existing.period,
                "target": float(existing.target),
                "target_new": target,
            }
            return _render(request, db, user, facts, period, status_code=409, confirm=was)
        service.set_goal(db_session=db, goal_in=goal_in, by_user_id=user.id)
    except (ValidationError, ValueError) as exc:
        message = _said(exc.errors()[0]) if isinstance(exc, ValidationError) else str(exc)
        return _render(
            request, db, user, facts, period, error=message.removeprefix("Value error, ")
        )
    return RedirectResponse(f"/goals?period={parse_period(period).label}", status_code=303)


@pages.post("/goals/{goal_id}/delete")
def delete_goal_form(goal_id: PathId, db: DbSession, user: PageUser) -> RedirectResponse:
    _require_editor(user)
    try:
        service.delete_goal(db_session=db, goal_id=goal_id)
    except service.GoalError as exc:
        raise HTTPException(404, str(exc)) from None
    return RedirectResponse("/goals", status_code=303)


@api.get("", response_model=GoalsView)
def list_goals(
    db: DbSession, user: ApiUser, facts: FactsDep, period: str | None = None
) -> GoalsView:
    """Team goals and quotas (overlapping `period` if given) with attainment and pace."""
    parsed, error = _period(period)
    if error:
        raise HTTPException(422, error)
    return service.goals_view(db_session=db, facts=facts, as_of=utcnow(), period=parsed, user=user)


@api.post("", response_model=GoalRow, status_code=201)
def set_goal(goal_in: GoalIn, db: DbSession, user: ApiUser, facts: FactsDep) -> GoalRow:
    """Set a team goal or a quota (admins and managers); the same period again changes it."""
    _require_editor(user)
    try:
        goal = service.set_goal(db_session=db, goal_in=goal_in, by_user_id=user.id)
    except (service.GoalError, PeriodError) as exc:
        raise HTTPException(422, str(exc)) from None
    return service.measure(goal, facts, utcnow())


@api.delete("/{goal_id}", status_code=204)
def delete_goal(goal_id: PathId, db: DbSession, user: ApiUser) -> None:
    """Remove a goal (admins and managers)."""
    _require_editor(user)
    try:
        service.delete_goal(db_session=db, goal_id=goal_id)
    except service.GoalError as exc:
        raise HTTPException(404, str(exc)) from None
