"""Reading a list: count, sort, filter and one page of rows, and the whole filter for exports
and bulk actions. Keyword-only, session first; raises `InvalidFilter`, never HTTP errors.

A page is read in two steps: the ids of the page (ordered on the sort key and the id, joining
only what the filters and the sort need, so SQLite and PostgreSQL walk an index), then the
shown columns for those ids alone. The naive one-query form (every join, every column, then
OFFSET) is what bench/lists_bench.py compares against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from tandem.auth.models import User
from tandem.auth.visibility import Visibility
from tandem.csv_export import to_csv
from tandem.lists import spec as lspec
from tandem.lists.sources import Expr, Source, day_value, shown, source
from tandem.lists.spec import Field, Filter, Kind, ListQuery, ListSpec

#: Most rows an export or a bulk action over the whole filter takes.
MAX_ROWS = 100_000
#: Above this many matching rows a page walks the sort key's index (see `read_page`).
BROAD = 10_000


class InvalidFilter(ValueError):
    """A filter value that parsed but names nothing (an owner no user is called)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Page:
    """One page of a list: rows as (id, {key: value}) in order, and where it sits."""

    spec: ListSpec
    query: ListQuery
    rows: list[tuple[int, dict[str, Any]]]
    total: int
    page: int
    pages: int
    first: int
    last: int


def owner_ids(db_session: Session, names: Sequence[str], *, viewer_id: int) -> list[int | None]:
    """Owner filter values to user ids: a user's name or email (any case), `me`, or `none`
    (unassigned, as None). Raises InvalidFilter naming the first value no user matches."""
    out: list[int | None] = []
    for name in names:
        if name.lower() == "me":
            out.append(viewer_id)
            continue
        if name.lower() in ("none", "unassigned"):
            out.append(None)
            continue
        found = db_session.scalars(
            select(User.id).where(
                or_(func.lower(User.name) == name.lower(), func.lower(User.email) == name.lower())
            )
        ).all()
        if not found:
            raise InvalidFilter("owner", f"no user is called {name[:60]!r}")
        out += found
    return out


def _unindexed(column: Any) -> Any:
    """`column` as an expression no index serves (`+ 0`, `|| ''`): the same values, so the
    planner walks the sort key's index instead of sorting every row the filter keeps."""
    return column + 0 if column.type.python_type is int else column.concat("")


def _conditions(
    db_session: Session,
    spec: ListSpec,
    src: Source,
    query: ListQuery,
    viewer_id: int,
    *,
    broad: bool = False,
) -> tuple[list[ColumnElement[bool]], set[str]]:
    """The WHERE clauses and joins of the query's search and filters. `broad`: the filters
    keep many rows, so their own columns' indexes are left aside (see `read_page`)."""
    where: list[ColumnElement[bool]] = [src.where]
    joins: set[str] = set(src.base)
    if query.q:
        where.append(src.search(query.q))
    for f in query.filters:
        field = spec.field(f.key)
        expr = src.exprs[f.key]
        if field is None:
            continue
        if field.kind is Kind.OWNER:
            ids = owner_ids(db_session, f.values, viewer_id=viewer_id)
            known = [i for i in ids if i is not None]
            owner = _unindexed(src.owner_id) if broad else src.owner_id
            clause = owner.in_(known)
            where.append(or_(clause, src.owner_id.is_(None)) if None in ids else clause)
            continue
        plain = broad and not expr.joins and field.kind in (Kind.TEXT, Kind.CHOICE)
        parts = _clauses(field.kind, Expr(_unindexed(expr.sql)) if plain else expr, f)
        semi = src.semi.get(expr.joins[0]) if len(expr.joins) == 1 and expr.semi_ok else None
        if semi is None:
            joins.update(expr.joins)
            where += parts
        else:
            outer, inner, on = semi
            outer = _unindexed(outer) if broad else outer
            where.append(outer.in_(select(inner).where(on, *parts)))
    return where, joins


def _clauses(kind: Kind, expr: Expr, f: Filter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.values:
        out.append(expr.sql.in_(f.values))
    low, high = f.low, f.high
    if kind is Kind.DATE:
        if isinstance(low, date):
            out.append(expr.sql >= day_value(expr, low))
        if isinstance(high, date):  # the whole last day
            out.append(expr.sql < day_value(expr, high + timedelta(days=1)))
    elif kind is Kind.NUMBER:
        if low is not None:
            out.append(expr.sql >= low)
        if high is not None:
            out.append(expr.sql <= high)
    return out


def _select(src: Source, columns: Sequence[Any], joins: set[str]) -> Select[Any]:
    query = select(*columns).select_from(src.table)
    for name in src.joins:  # declaration order: a join never precedes what it reads
        if name in joins:
            target, on = src.joins[name]
            query = query.outerjoin(target, on)
    return query


def filtered_ids(
    db_session: Session,
    spec: ListSpec,
    query: ListQuery,
    *,
    visible_to: Visibility,
    viewer_id: int,
) -> Select[tuple[int]]:
    """Every id the query's filters (and the viewer's visibility) keep, unordered."""
    src = source(spec.name, db_session)
    where, joins = _conditions(db_session, spec, src, query, viewer_id)
    return _select(src, [src.id], joins).where(src.visible(visible_to), *where)


def _order(src: Source, query: ListQuery) -> list[Any]:
    key = src.exprs[query.sort].sql
    return [key.desc().nulls_last() if query.desc else key.asc().nulls_last(), src.id]


def _check_costly(
    db_session: Session,
    spec: ListSpec,
    src: Source,
    query: ListQuery,
    visible_to: Visibility,
    viewer_id: int,
) -> None:
    """Refuse a sort or filter on a costly field (`spec.Field.costly`) unless the other
    filters keep at most COSTLY_ROWS rows (counted without it, through indexes)."""
    costly = {k for k in (query.sort, *(f.key for f in query.filters)) if _field(spec, k).costly}
    if not costly:
        return
    cheap = replace(query, filters=tuple(f for f in query.filters if f.key not in costly))
    where, joins = _conditions(db_session, spec, src, cheap, viewer_id)
    counted = _select(src, [func.count()], joins).where(src.visible(visible_to), *where)
    rows = db_session.scalar(counted) or 0
    if rows > lspec.COSTLY_ROWS:
        key = next(iter(sorted(costly)))
        field = "sort" if key == query.sort else key
        raise InvalidFilter(
            field,
            f"{_field(spec, key).label} is worked out per row: "
            f"{'sort' if field == 'sort' else 'filter'} by it within at most "
            f"{lspec.COSTLY_ROWS:,} rows (the other filters keep {rows:,}; narrow them first)",
        )


def _field(spec: ListSpec, key: str) -> Field:
    found = spec.field(key)
    assert found is not None  # the query was parsed against this spec
    return found


def read_page(
    *,
    db_session: Session,
    spec: ListSpec,
    query: ListQuery,
    visible_to: Visibility,
    viewer_id: int,
) -> Page:
    """One page of `spec` for `query`: the total, the page's rows with the chosen columns. A
    page past the last shows the last."""
    src = source(spec.name, db_session)
    _check_costly(db_session, spec, src, query, visible_to, viewer_id)
    where, joins = _conditions(db_session, spec, src, query, viewer_id)
    where.append(src.visible(visible_to))
    counted = _select(src, [func.count()], joins).where(*where)
    total = db_session.scalar(counted) or 0
    pages = lspec.pages(total, query.size)
    page = min(query.page, pages)
    sort = src.exprs[query.sort]
    if total > BROAD and not sort.joins:
        # Many rows match: walking the sort key's index and skipping the few that fail the
        # filter beats reading every match through the filter's index and sorting them all.
        where, joins = _conditions(db_session, spec, src, query, viewer_id, broad=True)
        where.append(src.visible(visible_to))
    sort_joins = joins | set(sort.joins)
    ids = (
        list(
            db_session.scalars(
                _select(src, [src.id], sort_joins)
                .where(*where)
                .order_by(*_order(src, query))
                .limit(query.size)
                .offset((page - 1) * query.size)
            )
        )
        if total
        else []
    )
    first, last = lspec.shown_range(total, page, query.size)
    return Page(
        spec, query, _rows(db_session, src, query.columns, ids), total, page, pages, first, last
    )


def _rows(
    db_session: Session, src: Source, columns: Sequence[str], ids: list[int]
) -> list[tuple[int, dict[str, Any]]]:
    if not ids:
        return []
    joins = {j for key in columns for j in src.exprs[key].joins}
    found = {
        row[0]: dict(zip(columns, row[1:], strict=True))
        for row in db_session.execute(
            _select(src, [src.id, *(shown(src, k) for k in columns)], joins).where(src.id.in_(ids))
        )
    }
    return [(i, found[i]) for i in ids if i in found]


def count_ids(db_session: Session, ids: Select[tuple[int]]) -> int:
    """How many ids a filter keeps (checked against MAX_ROWS before exports and bulk work)."""
    return db_session.scalar(select(func.count()).select_from(ids.subquery())) or 0


def export_csv(
    *,
    session_factory: Callable[[], Session],
    spec: ListSpec,
    query: ListQuery,
    visible_to: Visibility,
    viewer_id: int,
    chunk: int = 1000,
) -> Iterator[str]:
    """The rows of the whole filter with the chosen columns as CSV (header first, by id),
    streamed in chunks each read with a session of its own (nothing held while the client
    reads; see `tandem.audit.views.audit_csv`)."""
    header = ["id", *(f.label for f in lspec.columns_of(spec, query.columns))]
    yield to_csv(header, [])
    last = 0
    while True:
        with session_factory() as db_session:
            src = source(spec.name, db_session)
            ids = list(
                db_session.scalars(
                    filtered_ids(
                        db_session, spec, query, visible_to=visible_to, viewer_id=viewer_id
                    )
                    .where(src.id > last)
                    .order_by(src.id)
                    .limit(chunk)
                )
            )
            if not ids:
                return
            rows = _rows(db_session, src, query.columns, ids)
        last = ids[-1]
        cells = [[i, *(_cell(v) for v in row.values())] for i, row in rows]
        yield to_csv(header, cells).split("\n", 1)[1]


def _cell(value: Any) -> Any:
    # Decimals and dates as their text; numbers stay numbers (csv_export keeps them unquoted).
    return value.isoformat() if hasattr(value, "isoformat") else value
