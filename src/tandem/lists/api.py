"""The lists' JSON API: a list page (`/api/v1/lists/{list_name}`, the same data as the page)
and saved views (`/api/v1/views`). Bad input is a 422 naming the field."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from tandem.lists import saved
from tandem.lists.catalog import LISTS
from tandem.lists.models import SavedView
from tandem.lists.read import read_or_explain, spec_named
from tandem.lists.spec import ListSpec
from tandem.web.deps import ApiUser, DbSession
from tandem.web.ids import PathId

router = APIRouter(prefix="/api/v1", tags=["lists"])

BAD = {422: {"description": "A parameter names no field of the list, or is out of range"}}
NO_LIST = {**BAD, 404: {"description": "No list of that name"}}
NOT_YOURS = {
    404: {"description": "No saved view with that id (or not one you may see)"},
    403: {"description": "Someone else's shared view"},
}


class ListRow(BaseModel):
    id: int
    values: dict[str, Any]


class ListPage(BaseModel):
    """One page of a list: the rows' chosen columns, and where the page sits."""

    list: str
    columns: list[str]
    sort: str
    rows: list[ListRow]
    total: int
    page: int
    pages: int
    first: int
    last: int


class ViewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    list: str = Field(max_length=40)
    name: str = Field(max_length=300)
    query: str = Field("", max_length=4000)
    shared: bool = False


class ViewOut(BaseModel):
    id: int
    list: str
    name: str
    query: str
    shared: bool
    mine: bool


def list_json(request: Request, db: DbSession, user: ApiUser, spec: ListSpec) -> ListPage:
    """A list page as JSON; a 422 (detail: field -> why) for any bad parameter."""
    page, errors, _ = read_or_explain(request, db, user, spec, request.query_params.multi_items())
    if errors:
        raise HTTPException(422, errors)
    q = page.query
    return ListPage(
        list=spec.name,
        columns=list(q.columns),
        sort=("-" if q.desc else "") + q.sort,
        rows=[ListRow(id=i, values=v) for i, v in page.rows],
        total=page.total,
        page=page.page,
        pages=page.pages,
        first=page.first,
        last=page.last,
    )


@router.get("/lists/{list_name}", responses=NO_LIST)
def list_page(request: Request, user: ApiUser, db: DbSession, list_name: str) -> ListPage:
    """One page of the contacts, accounts, deals or leads list, sorted and filtered."""
    return list_json(request, db, user, spec_named(list_name))


def _out(row: SavedView, user_id: int) -> ViewOut:
    return ViewOut(
        id=row.id,
        list=row.list_name,
        name=row.name,
        query=row.query,
        shared=row.shared,
        mine=row.user_id == user_id,
    )


@router.get("/views", responses=BAD)
def views(user: ApiUser, db: DbSession, list: str | None = None) -> list[ViewOut]:
    """The user's saved views and everyone's shared ones."""
    if list is not None and list not in LISTS:
        raise HTTPException(
            422, {"list": f"{list[:40]!r} is not a list: one of " + ", ".join(LISTS)}
        )
    return [_out(v, user.id) for v in saved.visible_views(db, user=user, list_name=list)]


@router.post("/views", status_code=201, responses=BAD)
def save(user: ApiUser, db: DbSession, body: ViewIn) -> ViewOut:
    """Save a view (a view of the same name by the same user is replaced)."""
    try:
        row = saved.save_view(
            db,
            user=user,
            list_name=body.list,
            name=body.name,
            query=body.query,
            shared=body.shared,
        )
    except saved.ViewError as exc:
        raise HTTPException(422, {exc.field: str(exc)}) from None
    return _out(row, user.id)


@router.delete("/views/{view_id}", status_code=204, responses=NOT_YOURS)
def delete(user: ApiUser, db: DbSession, view_id: PathId) -> None:
    """Delete one of the user's own views."""
    try:
        saved.delete_view(db, user=user, view_id=view_id)
    except saved.ViewError as exc:
        raise HTTPException(exc.status, str(exc)) from None
