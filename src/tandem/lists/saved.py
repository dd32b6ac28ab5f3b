"""Saved views: a list's query under a name, private to its owner or shared with everyone who
may open the list. Only the owner changes or deletes a view."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tandem.auth.models import User
from tandem.lists.catalog import LISTS
from tandem.lists.models import SavedView
from tandem.lists.spec import parse

MAX_NAME = 100
MAX_QUERY = 2000


class ViewError(ValueError):
    """A view that cannot be saved or deleted, with the field at fault."""

    def __init__(self, field: str, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def visible_views(db_session: Session, *, user: User, list_name: str | None) -> list[SavedView]:
    """The user's own views and everyone's shared ones (of one list, or of all), by name."""
    query = select(SavedView).where(or_(SavedView.user_id == user.id, SavedView.shared))
    if list_name:
        query = query.where(SavedView.list_name == list_name)
    return list(db_session.scalars(query.order_by(SavedView.list_name, SavedView.name)))


def canonical(list_name: str, query: str) -> str:
    """The query as the list reads it (refused when any part is not a field of the list)."""
    if list_name not in LISTS:
        raise ViewError("list", f"{list_name[:40]!r} is not a list: one of " + ", ".join(LISTS))
    if len(query) > MAX_QUERY:
        raise ViewError("query", f"the query is longer than {MAX_QUERY} characters")
    parsed = parse(LISTS[list_name], parse_qsl(query.lstrip("?"), keep_blank_values=False))
    if parsed.errors:
        field, why = next(iter(parsed.errors.items()))
        raise ViewError("query", f"{field}: {why}")
    return urlencode(parsed.query.params())


def save_view(
    db_session: Session,
    *,
    user: User,
    list_name: str,
    name: str,
    query: str,
    shared: bool = False,
) -> SavedView:
    """Save (or replace the user's own view of the same name) after checking the query."""
    name = " ".join(name.split())
    if not name:
        raise ViewError("name", "a saved view needs a name")
    if len(name) > MAX_NAME:
        raise ViewError("name", f"the name is longer than {MAX_NAME} characters")
    text = canonical(list_name, query)
    row = db_session.scalars(
        select(SavedView).where(
            SavedView.user_id == user.id, SavedView.list_name == list_name, SavedView.name == name
        )
    ).first()
    if row is None:
        row = SavedView(user_id=user.id, list_name=list_name, name=name)
        db_session.add(row)
    row.query, row.shared = text, shared
    db_session.flush()
    return row


def delete_view(db_session: Session, *, user: User, view_id: int) -> str:
    """Delete the user's own view; returns its list's name. 404 for a view the user cannot
    see, 403 for someone else's shared view."""
    row = db_session.get(SavedView, view_id)
    if row is None or (row.user_id != user.id and not row.shared):
        raise ViewError("view_id", f"no saved view with id {view_id}", status=404)
    if row.user_id != user.id:
        raise ViewError("view_id", "only the person who saved a view deletes it", status=403)
    db_session.delete(row)
    db_session.flush()
    return row.list_name
