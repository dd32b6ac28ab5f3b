"""What the list pages and the list API share: reading a request's list with its errors
explained (never a 500), the pickers' choices, and the ids of a whole filter."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.auth import permissions
from tandem.auth.models import User
from tandem.auth.visibility import Visibility
from tandem.lists import saved
from tandem.lists.catalog import LISTS
from tandem.lists.service import (
    InvalidFilter,
    Page,
    count_ids,
    filtered_ids,
    read_page,
)
from tandem.lists.spec import ListQuery, ListSpec, parse

BULK = "/lists/{list_name}/bulk"
NO_ONE = permissions.Rule(frozenset())


def spec_named(list_name: str) -> ListSpec:
    """The list called `list_name`, or a 404 naming the lists there are."""
    if list_name not in LISTS:
        raise HTTPException(404, f"no list called {list_name[:40]!r}: one of " + ", ".join(LISTS))
    return LISTS[list_name]


def viewer(request: Request, user: User) -> Visibility:
    """What rows the user may see (`tandem.auth.visibility`)."""
    return permissions.visible_to(request, user)


def read_or_explain(
    request: Request, db: Session, user: User, spec: ListSpec, params: list[tuple[str, str]]
) -> tuple[Page, dict[str, str], dict[str, Any]]:
    """The page for `params`, the per-field errors (the parts in error are left out, so the
    page still shows), and the pickers' choices and saved views the page offers."""
    parsed = parse(spec, params)
    errors = dict(parsed.errors)
    query = parsed.query
    for _ in range(len(query.filters) + 2):  # each refusal leaves one part out, then reads again
        try:
            page = read_page(
                db_session=db,
                spec=spec,
                query=query,
                visible_to=viewer(request, user),
                viewer_id=user.id,
            )
            break
        except InvalidFilter as exc:
            errors[exc.field] = str(exc)
            query = _without(spec, query, exc.field)
    users = db.execute(select(User.id, User.name).where(User.is_active).order_by(User.name)).all()
    context = {
        "users": users,
        "views": saved.visible_views(db, user=user, list_name=spec.name),
        "given": dict(params),
        "may_bulk": user.role in (permissions.rule_for("POST", BULK) or NO_ONE).roles,  # type: ignore[operator]
    }
    return page, errors, context


def _without(spec: ListSpec, query: ListQuery, field: str) -> ListQuery:
    if field == "sort":
        default = spec.default_sort
        return replace(query, sort=default.lstrip("-"), desc=default.startswith("-"))
    return replace(query, filters=tuple(f for f in query.filters if f.key != field))


def whole_filter(
    request: Request,
    db: Session,
    user: User,
    spec: ListSpec,
    query: ListQuery,
    *,
    limit: int,
    fetch: bool = True,
) -> tuple[list[int], dict[str, str]]:
    """Every id of the filter (none unless `fetch`), or a message when the filter names
    nothing or holds more than `limit` rows."""
    try:
        ids = filtered_ids(db, spec, query, visible_to=viewer(request, user), viewer_id=user.id)
    except InvalidFilter as exc:
        return [], {exc.field: str(exc)}
    size = count_ids(db, ids)
    if size > limit:
        return [], {"rows": f"{size:,} rows, over the limit of {limit:,}: narrow the filter"}
    return (list(db.scalars(ids)) if fetch else []), {}


def keep_visible(
    request: Request, db: Session, user: User, spec: ListSpec, ids: list[int]
) -> list[int]:
    """The ticked ids the user may see, in the order given (others are dropped: a forged id
    never reaches an action)."""
    if not ids:
        return []
    query = filtered_ids(db, spec, ListQuery(), visible_to=viewer(request, user), viewer_id=user.id)
    src_ids = set(db.scalars(query.where(query.selected_columns[0].in_(ids))))
    return [i for i in dict.fromkeys(ids) if i in src_ids]
