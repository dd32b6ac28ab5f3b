"""Where a columnar read may run, and the SQL and parameters it runs.

An ADBC read runs on a connection of its own, so it sees committed rows only. It is used only
when that is what the caller's connection sees too: no transaction open on it (SQLite), no
transaction id assigned yet (PostgreSQL), or none of the tables the query reads written in the
open transaction (`written`). Otherwise the caller falls back to the DB-API on its own
connection. An in-memory SQLite database has no other connection at all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.sql import visitors
from sqlalchemy.sql.expression import TableClause

_WRITTEN = "tandem_columnar_written"
_DML = re.compile(
    r"^\s*(?:insert\s+(?:or\s+\w+\s+)?into|update|delete\s+from|copy)\s+\"?(\w+)", re.IGNORECASE
)
_READ_ONLY = re.compile(
    r"^\s*(?:select|with|pragma|savepoint|release|rollback|begin|commit|show|set|explain)\b",
    re.IGNORECASE,
)


#: SQLite files smaller than this are read through the DB-API: starting the reader's child
#: process (about 0.3 s) costs more than reading every row of such a file (~1.5 µs a row).
SMALL_SQLITE_BYTES = 64 * 1024 * 1024


class ColumnarUnavailable(Exception):
    """The rows cannot be read on a separate connection; read them on the caller's."""


@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: Any):
    # Which tables the open transaction has written: a separate reader would not see those
    # rows. Anything not recognisably read-only marks every table ("*").
    if _READ_ONLY.match(statement):
        return
    compiled = getattr(context, "compiled", None)
    table = getattr(getattr(compiled, "statement", None), "table", None)
    name = getattr(table, "name", None)
    if name is None and (match := _DML.match(statement)):
        name = match.group(1)
    conn.info.setdefault(_WRITTEN, set()).add(name.lower() if name else "*")


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_writes(conn: Any) -> None:
    conn.info.pop(_WRITTEN, None)


def separate_read_ok(connection: Connection, query: Any) -> bool:
    """True when a fresh connection would see the same rows of `query`'s tables as
    `connection` does."""
    if not connection.in_transaction():
        return True
    dialect = connection.dialect.name
    if dialect == "sqlite":
        dbapi = connection.connection.dbapi_connection
        if not getattr(dbapi, "in_transaction", True):
            return True  # nothing written yet: pysqlite begins only before a write
    elif dialect == "postgresql":
        assigned = connection.execute(text("SELECT pg_current_xact_id_if_assigned()")).scalar()
        if assigned is None:
            return True
    written = connection.info.get(_WRITTEN, set())
    if "*" in written:
        return False
    read = read_tables(query)
    return bool(read) and not (read & written)


def read_tables(query: Any) -> set[str]:
    """The names of the tables `query` reads, through joins, aliases and subqueries."""
    return {el.name.lower() for el in visitors.iterate(query) if isinstance(el, TableClause)}


def sqlite_path(connection: Connection) -> str:
    """The SQLite database file of `connection` (absolute), or raise for an in-memory one."""
    database = connection.engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise ColumnarUnavailable("in-memory or URI SQLite database")
    return str(Path(database).resolve())


def postgres_uri(connection: Connection) -> str:
    """A libpq URI for `connection`'s database (the SQLAlchemy URL without its driver)."""
    url = connection.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def compiled_sql(connection: Connection, query: Any) -> tuple[str, list[Any]]:
    """`query` as SQL for the database with positional parameters, each value as the
    dialect's bind processing makes it (timestamps as stored text on SQLite, for instance)."""
    dialect = connection.dialect
    if dialect.name == "postgresql":
        dialect = type(dialect)(paramstyle="numeric_dollar")
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    processors = compiled._bind_processors
    names = compiled.positiontup or []
    values = []
    for name in names:
        value = params[name]
        processor = processors.get(name)
        values.append(processor(value) if processor and value is not None else value)
    return compiled.string, values


def check(connection: Connection, query: Any) -> None:
    """Raise `ColumnarUnavailable` unless `query` can be read on a separate connection."""
    if not separate_read_ok(connection, query):
        raise ColumnarUnavailable("the open transaction wrote a table the query reads")
    dialect = connection.dialect.name
    if dialect == "sqlite":
        if Path(sqlite_path(connection)).stat().st_size < SMALL_SQLITE_BYTES:
            raise ColumnarUnavailable("a small database: the DB-API reads it sooner")
    elif dialect != "postgresql":
        raise ColumnarUnavailable(f"no columnar reader for {dialect}")


def readers(connection: Connection) -> int:
    """How many reads of `connection`'s database may run at once (see `read_table`)."""
    if connection.dialect.name == "sqlite":
        from tandem.columnar import sqlite_worker

        return sqlite_worker.MAX_READERS
    return max(1, min(4, os.cpu_count() or 1))


def prepare(connection: Connection, query: Any, schema: dict[str, Any]) -> Callable[[], Any]:
    """What reading `query` apart needs from `connection`, checked and compiled here; the
    function returned opens the read (Arrow record batches) and may run on any thread."""
    check(connection, query)
    sql, params = compiled_sql(connection, query)
    if connection.dialect.name == "sqlite":
        from tandem.columnar import sqlite_worker

        path, dtypes = sqlite_path(connection), list(schema.values())
        return lambda: sqlite_worker.read(path, sql, params, dtypes)
    from tandem.columnar import postgres

    uri = postgres_uri(connection)
    return lambda: postgres.read(uri, sql, params)


def batches(connection: Connection, query: Any, schema: dict[str, Any]) -> Any:
    """Arrow record batches of `query` from a separate connection (see the module doc)."""
    return prepare(connection, query, schema)()
