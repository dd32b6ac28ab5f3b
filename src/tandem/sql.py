"""Portable statements every capability shares on SQLite and PostgreSQL alike.

Core statements on the tables (not the ORM's bulk paths): a tick or an import writes tens of
thousands of rows and the per-row ORM bookkeeping would cost more than the work itself.

On PostgreSQL a batch of rows goes as ONE parameter, a JSON array of rows (`pg_rows`), read by
`jsonb_array_elements`: an executemany (or SQLAlchemy's multi-row VALUES) would send a statement
with thousands of placeholders, which psycopg splits and adapts in Python on every batch (two
thirds of the client CPU of an SLA tick over 20,000 new MQLs).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Row,
    any_,
    bindparam,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import UserDefinedType

from tandem.pg_pipeline import pipelined as pg_pipelined
from tandem.pg_pipeline import sending
from tandem.pg_rows import PG_CHUNK, JsonRows, Unsupported

_CHUNK = 2_000


def dialect_insert(bind: Any, table: Any) -> Any:
    """`INSERT` into `table` with the dialect's ON CONFLICT support (`bind`: an engine,
    connection or session)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(table)


def core_rows(db_session: Session, stmt: Any, params: Any = None) -> Any:
    """Execute a Core `stmt` on the session's connection: plain rows, without the ORM's
    per-row loading (a tick reads 100,000s of column rows). Flushed first, as the session's
    autoflush would."""
    if db_session.autoflush:
        db_session.flush()
    return db_session.connection().execute(stmt, params)


def is_postgres(bind: Any) -> bool:
    """Whether `bind` (a session, engine or connection) talks to PostgreSQL."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return bool(engine.dialect.name == "postgresql")


class IntArray(UserDefinedType[list[int]]):
    """PostgreSQL `INTEGER[]` bound as the text of the array (`{1,2,3}`, joined in C; psycopg
    would adapt a list of 5,000 ids one element at a time in Python). Typed by the cast in the
    statement, so the server reads it as a constant array (hashed, estimated), not as text
    converted at run time."""

    cache_ok = True
    render_bind_cast = True

    def get_col_spec(self, **kw: Any) -> str:
        """The SQL type: an integer array."""
        return "INTEGER[]"

    def bind_processor(self, dialect: Any) -> Any:
        """Ids to `{1,2,3}`."""

        def process(value: Any) -> str | None:
            return None if value is None else "{" + ",".join(map(str, map(int, value))) + "}"

        return process


def _array(column: Any, bound: Any, type_: Any) -> ColumnElement[bool]:
    # Integer ids go as array text; other types as a bound array.
    if isinstance(type_, Integer):
        return column == any_(bound(IntArray()))
    return column == any_(bound(ARRAY(type_)))


def in_param(column: Any, name: str, postgres: bool, type_: Any = None) -> ColumnElement[bool]:
    """`column IN :name`, the list given at execution. PostgreSQL: `column = ANY(:name)`, one
    array parameter (an expanded IN of 5,000 ids is a statement of 5,000 placeholders that
    SQLAlchemy renders and psycopg splits in Python at every execution)."""
    if postgres:
        return _array(column, lambda t: bindparam(name, type_=t), type_ or column.type)
    return column.in_(bindparam(name, expanding=True))


def among(column: Any, values: Sequence[Any], bind: Any) -> ColumnElement[bool]:
    """`column IN values` (as `in_param`, the values bound now)."""
    if is_postgres(bind):
        return _array(column, lambda t: bindparam(None, list(values), type_=t), column.type)
    return column.in_(list(values))


@contextmanager
def pipelined(db_session: Session) -> Iterator[None]:
    """A block whose `update_by_id` statements are sent and not waited for on PostgreSQL:
    the server runs them while the block goes on building what comes next; they have all run
    when the block ends. On SQLite each runs when called, as outside the block."""
    if not is_postgres(db_session):
        yield
        return
    with pg_pipelined(db_session):
        yield


def insert_ignore(
    db_session: Session, model: Any, rows: Iterable[dict[str, Any]], *returning: Any
) -> list[Row[Any]]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING `returning`: the rows that landed.

    This is how idempotency is enforced: a unique key already present (inserted by an earlier
    run, or a concurrent worker) simply yields nothing, and the caller acts only on what came
    back. `rows` may be a generator: it is read a batch at a time, and on PostgreSQL each
    batch is sent without waiting (`pg_pipeline`), so the next is built while the server
    writes the last.
    """
    batches = _batches(rows, PG_CHUNK if is_postgres(db_session) else _CHUNK)
    first = next(batches, None)
    if first is None:
        return []
    json_rows = _json_rows(db_session, model.__table__, list(first[0]), insert=True)
    if json_rows is not None:
        stmt = json_rows.insert_ignore(returning)
        with pg_pipelined(db_session) as pipeline:
            sent = [
                pipeline.send(stmt, json_rows.payload(batch), returning)
                for batch in chain([first], batches)
            ]
            return pipeline.rows(sent)  # type: ignore[return-value]
    stmt = (
        dialect_insert(db_session, model.__table__).on_conflict_do_nothing().returning(*returning)
    )
    out: list[Row[Any]] = []
    for batch in chain([first], batches):
        for start in range(0, len(batch), _CHUNK):
            out += db_session.execute(stmt, batch[start : start + _CHUNK]).all()
    return out


def update_by_id(db_session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE each row (a dict with `id` and the same other keys) in one executemany.

    On PostgreSQL inside `pipelined`, the statements are sent and not waited for: they have
    run when the block ends (or a later statement's rows are read)."""
    if not rows:
        return
    table = model.__table__
    json_rows = _json_rows(db_session, table, list(rows[0]), insert=False)
    if json_rows is not None:
        # The last row of an id wins, as in the executemany (UPDATE ... FROM sets a row once).
        last = list({r["id"]: r for r in rows}.values())
        stmt = json_rows.update_by_id()
        with sending(db_session) as pipeline:
            for start in range(0, len(last), PG_CHUNK):
                pipeline.send(stmt, json_rows.payload(last[start : start + PG_CHUNK]))
        return
    names = [k for k in rows[0] if k != "id"]
    stmt = (
        table.update()
        .where(table.c.id == bindparam("row_id"))
        .values({n: bindparam(f"new_{n}") for n in names})
    )
    params = [{"row_id": r["id"], **{f"new_{n}": r[n] for n in names}} for r in rows]
    for start in range(0, len(params), _CHUNK):
        db_session.execute(stmt, params[start : start + _CHUNK])


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """`rows` in lists of `size`, read as they are needed."""
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def _json_rows(db_session: Session, table: Any, names: list[str], *, insert: bool) -> Any:
    """PostgreSQL's one-parameter statements for these columns (None: SQLite, or a column
    type `JsonRows` does not encode; then an executemany)."""
    dialect = db_session.get_bind().dialect
    if dialect.name != "postgresql":
        return None
    try:
        return JsonRows(dialect, table, names, insert=insert)
    except Unsupported:
        return None
