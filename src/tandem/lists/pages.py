"""The list pages (contacts, accounts, deals, leads), their CSV export, bulk actions and
saved-view forms. Handlers only translate: `service`, `actions` and `saved` do the work."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from tandem.auth.models import User
from tandem.ids import MAX_ID
from tandem.lists import actions, saved
from tandem.lists.catalog import CONTACTS, LISTS
from tandem.lists.read import keep_visible, read_or_explain, spec_named, viewer, whole_filter
from tandem.lists.service import MAX_ROWS, export_csv
from tandem.lists.spec import ListSpec, parse
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.ids import PathId
from tandem.web.pages import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

IdList = Annotated[list[Annotated[int, Form(ge=1, le=MAX_ID)]], Form()]


def _show(
    request: Request,
    db: DbSession,
    user: User,
    spec: ListSpec,
    *,
    params: list[tuple[str, str]] | None = None,
    notice: actions.BulkResult | None = None,
    problems: dict[str, str] | None = None,
) -> HTMLResponse:
    given = request.query_params.multi_items() if params is None else params
    page, errors, context = read_or_explain(request, db, user, spec, given)
    errors |= problems or {}
    return render(
        request,
        "list.html",
        status_code=422 if errors else 200,
        user=user,
        p=page,
        errors=errors,
        notice=notice,
        lists=LISTS,
        **context,
    )


@router.get("/contacts", response_class=HTMLResponse)
def contacts_list(request: Request, user: PageUser, db: DbSession) -> HTMLResponse:
    return _show(request, db, user, CONTACTS)


@router.get("/accounts", response_class=HTMLResponse)
def accounts_list(request: Request, user: PageUser, db: DbSession) -> HTMLResponse:
    return _show(request, db, user, LISTS["accounts"])


@router.get("/opportunities", response_class=HTMLResponse)
def deals_list(request: Request, user: PageUser, db: DbSession) -> HTMLResponse:
    return _show(request, db, user, LISTS["deals"])


@router.get("/leads", response_class=HTMLResponse)
def leads_list(request: Request, user: PageUser, db: DbSession) -> HTMLResponse:
    return _show(request, db, user, LISTS["leads"])


@router.get("/lists/{list_name}/export.csv", response_model=None)
def export(request: Request, user: PageUser, db: DbSession, list_name: str) -> Response:
    """The whole filter as CSV with the chosen columns (by id; at most 100,000 rows)."""
    spec = spec_named(list_name)
    parsed = parse(spec, request.query_params.multi_items())
    if parsed.errors:
        return _show(request, db, user, spec)
    _, problem = whole_filter(request, db, user, spec, parsed.query, limit=MAX_ROWS, fetch=False)
    if problem:
        return _show(request, db, user, spec, problems=problem)
    return StreamingResponse(
        export_csv(
            session_factory=request.app.state.session_factory,
            spec=spec,
            query=parsed.query,
            visible_to=viewer(request, user),
            viewer_id=user.id,
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tandem-{spec.name}.csv"'},
    )


@router.post("/lists/{list_name}/bulk", response_class=HTMLResponse)
def bulk(
    request: Request,
    user: PageUser,
    db: DbSession,
    list_name: str,
    action: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "selected",
    query: Annotated[str, Form(max_length=2000)] = "",
    ids: IdList = [],  # noqa: B006 (FastAPI reads the default, never mutates it)
    owner_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    stage: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=1000)] = "",
    list_to: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Apply a bulk action to the ticked rows, or to every row of the filter in `query`."""
    spec = spec_named(list_name)
    params = parse_qsl(query.lstrip("?"))
    parsed = parse(spec, params)
    if parsed.errors:
        return _show(request, db, user, spec, params=params)
    chosen: list[int] = list(ids)
    if scope == "filter":
        found, problem = whole_filter(request, db, user, spec, parsed.query, limit=actions.MAX_BULK)
        if problem:
            return _show(request, db, user, spec, params=params, problems=problem)
        chosen = found
    else:  # ticked rows: a forged id of a row the viewer may not see never reaches an action
        chosen = keep_visible(request, db, user, spec, chosen)
    try:
        with db.begin_nested():  # nothing half-done: a refused action writes nothing
            result = actions.run(
                db,
                spec=spec,
                user=user,
                action=action,
                ids=chosen,
                owner_id=owner_id,
                stage=stage,
                reason=reason,
                list_name=list_to,
            )
    except actions.BulkError as exc:
        return _show(request, db, user, spec, params=params, problems={exc.field: str(exc)})
    for hidden in sorted(set(ids) - set(chosen)):
        result.refuse(hidden, "no such record")
    return _show(request, db, user, spec, params=params, notice=result)


@router.post("/views", response_model=None)
def save_view(
    user: PageUser,
    db: DbSession,
    list_name: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    query: Annotated[str, Form(max_length=4000)] = "",
    shared: Annotated[bool, Form()] = False,
) -> Response:
    try:
        row = saved.save_view(
            db, user=user, list_name=list_name, name=name, query=query, shared=shared
        )
    except saved.ViewError as exc:
        raise HTTPException(422, f"{exc.field}: {exc}") from None
    return RedirectResponse(f"{LISTS[row.list_name].path}?{row.query}", status_code=303)


@router.post("/views/{view_id}/delete", response_model=None)
def delete_view(user: PageUser, db: DbSession, view_id: PathId) -> Response:
    try:
        list_name = saved.delete_view(db, user=user, view_id=view_id)
    except saved.ViewError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return RedirectResponse(LISTS[list_name].path, status_code=303)
