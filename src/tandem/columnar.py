"""Whole-table reads straight into columns: what a full rescore (a model approval) reads.

Through the DB-API every one of tens of millions of rows becomes a Python tuple first (130 s of
a 168 s approval at 20M activities). On a SQLite file, ADBC runs the same query and hands back
Arrow columns. It reads on a connection of its own, so it sees committed rows only: it is used
for the tables the caller's transaction has not written (a model approval reads activities it
never changes), and only when there are enough committed rows for it to pay; otherwise, and on
PostgreSQL (until issue 22's engines), the rows come through the caller's connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select

#: Rows in the read's main table from which the columnar read is used (a setting for tests).
COLUMNAR_MIN_ROWS = 500_000


def _newest(table: str) -> str:
    if not table.isidentifier():
        raise ValueError(f"not a table name: {table!r}")
    return f"SELECT coalesce(max(rowid), 0) FROM {table}"  # noqa: S608 - an identifier


def committed_rows(connection: Connection, table: str) -> int:
    """About how many committed rows `table` holds (its highest rowid: no table scan)."""
    with _adbc(connection) as raw, raw.cursor() as cursor:
        cursor.execute(_newest(table))
        return int(cursor.fetchone()[0])


def usable(connection: Connection, table: str, minimum: int | None = None) -> bool:
    """Whether a columnar read of `table` gives what the caller's transaction sees: a SQLite
    file holding at least `minimum` committed rows, and the transaction's newest row the
    committed newest (an append-only table: no insert of its own, or of another writer since,
    would be missed)."""
    if connection.dialect.name != "sqlite" or not _path(connection):
        return False
    floor = COLUMNAR_MIN_ROWS if minimum is None else minimum
    committed = committed_rows(connection, table)
    if committed < floor:
        return False
    seen = connection.exec_driver_sql(_newest(table)).scalar()
    return seen == committed


def read_committed(connection: Connection, query: Select[Any]) -> pl.DataFrame:
    """`query` over the committed rows, as columns (raw values: the caller types them). The
    driver types each column from its first batch of rows, so a column may hold no NULL there
    and text later: select such columns through `coalesce(..., '')` and map '' back."""
    sql = str(query.compile(connection.engine, compile_kwargs={"literal_binds": True}))
    with _adbc(connection) as raw, raw.cursor() as cursor:
        cursor.execute(sql)
        return pl.from_arrow(cursor.fetch_arrow_table())  # type: ignore[return-value]


def _path(connection: Connection) -> str | None:
    database = connection.engine.url.database
    return None if not database or database == ":memory:" else database


@contextmanager
def _adbc(connection: Connection) -> Iterator[Any]:
    """An ADBC connection to the same SQLite file, closed on exit."""
    import adbc_driver_sqlite.dbapi as adbc

    raw = adbc.connect(_path(connection) or "")
    try:
        yield raw
    finally:
        raw.close()
