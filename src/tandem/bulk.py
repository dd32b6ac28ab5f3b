"""Bulk writes of columnar frames: Arrow ingest (ADBC) on SQLite, COPY on PostgreSQL.

Used by the demo generator and the importers to load millions of rows without the ORM's
per-object overhead. Frames use the table's column names; timestamps are aware UTC.
"""

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Protocol

import polars as pl
import sqlalchemy as sa
from sqlalchemy import Connection, Engine, Index, case, false, select, text
from sqlalchemy.schema import CreateIndex, DropTable

from tandem.tables import metadata

# SQLAlchemy's own SQLite DATETIME text format, so ORM reads of bulk-loaded rows round-trip.
SQLITE_TS = "%Y-%m-%d %H:%M:%S%.6f"  # SQLAlchemy's SQLite DATETIME text


def with_defaults(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Add the columns `frame` lacks that have a Python-side default in the table model."""
    unknown = set(frame.columns) - set(metadata.tables[table].columns.keys())
    if unknown:
        raise ValueError(f"{table} has no column(s) {sorted(unknown)}")
    extra = []
    for column in metadata.tables[table].columns:
        default = column.default
        if column.name in frame.columns or default is None or not hasattr(default, "arg"):
            continue
        value = default.arg(None) if callable(default.arg) else default.arg
        if isinstance(value, dict | list):
            value = json.dumps(value)
        elif isinstance(value, Decimal):
            value = float(value)
        extra.append(pl.lit(value).alias(column.name))
    return frame.with_columns(extra) if extra else frame


def for_sqlite(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns as SQLite stores them: timestamps as SQLAlchemy's text, booleans as 0/1."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            out.append(col.dt.convert_time_zone("UTC").dt.strftime(SQLITE_TS))
        elif dtype == pl.Date:
            out.append(col.dt.strftime("%Y-%m-%d"))
        elif dtype == pl.Boolean:
            out.append(col.cast(pl.Int8))
        elif dtype == pl.Null:
            out.append(col.cast(pl.String))
        else:
            out.append(col)
    return frame.select(out)


def for_postgres(frame: pl.DataFrame) -> pl.DataFrame:
    """Timestamps as UTC text COPY reads."""
    return frame.with_columns(
        pl.col(name).dt.convert_time_zone("UTC").dt.strftime(SQLITE_TS + "+00")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime)
    )


def _copy_postgres(dbapi: Any, table: str, frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    for_postgres(frame).write_csv(buffer, include_header=False, null_value="")
    sql = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)"
    with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(buffer.getvalue())


#: Rows per INSERT on SQLite (fewer, when that many would bind over 999 values): stepping one
#: statement per row was most of a narrow insert's CPU (285,575 rows of two columns: 0.45 ->
#: 0.2 CPU-s).
ROWS_PER_STATEMENT = 64


def side_by_side(frame: pl.DataFrame, per: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(`frame`'s rows `per` to a row, rows i .. i + per - 1 side by side in that order, the
    columns suffixed ``_0`` ..; the rows left over, as they were): one statement's parameters
    per row of the first."""
    whole = frame.height - frame.height % per
    grouped = pl.concat(
        [
            frame.head(whole).gather_every(per, offset=k).rename(lambda name, k=k: f"{name}_{k}")
            for k in range(per)
        ],
        how="horizontal",
    )
    return grouped, frame.slice(whole)


def insert_frame(connection: Connection, table: str, frame: pl.DataFrame) -> int:
    """Insert `frame` into `table` inside the caller's transaction; returns the row count."""
    if frame.height == 0:
        return 0
    frame = with_defaults(table, frame)
    dbapi = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        columns = frame.columns
        row = f"({', '.join('?' for _ in columns)})"
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608 - names checked
        per = max(1, min(ROWS_PER_STATEMENT, 999 // len(columns)))
        grouped, rest = side_by_side(for_sqlite(frame), per)
        for part, count in ((grouped, per), (rest, 1)):
            if part.height:
                dbapi.executemany(head + ", ".join([row] * count), part.iter_rows())
    else:
        _copy_postgres(dbapi, table, frame)
    return frame.height


_SCHEMA = sa.table("sqlite_master", sa.column("type"), sa.column("tbl_name"), sa.column("sql"))


@contextmanager
def emptied_for_reload(connection: Connection, name: str) -> Iterator[None]:
    """Every row of the table `name` deleted, in the caller's transaction, for a load of its
    whole content in the block; on SQLite cheaper than a DELETE.

    SQLite: the table is dropped and created again from the DDL the database holds for it (the
    table the migrations made), and its indexes are built at the block's end: one sorted build
    each instead of b-tree inserts at every row, and with foreign keys on SQLite deletes a
    child table's rows one by one (2.4 million credits: 1.3-1.5 CPU-s with the indexes dropped
    first, 0.1 to drop the table with `_fast_secure_delete`). DDL is transactional in SQLite:
    a failure rolls back to the rows and indexes as they were. PostgreSQL: a DELETE; dropping
    an index there would lock every reader of the table out until the commit.
    """
    if connection.dialect.name != "sqlite":
        connection.execute(metadata.tables[name].delete())
        yield
        return
    # pysqlite opens its transaction at the first write, never at DDL, which would commit at
    # once: a DELETE of nothing opens it.
    connection.execute(metadata.tables[name].delete().where(false()))
    kinds = case({"table": 0, "index": 1}, value=_SCHEMA.c.type, else_=2)
    found = connection.execute(
        select(_SCHEMA.c.type, _SCHEMA.c.sql)
        .where(_SCHEMA.c.tbl_name == name, _SCHEMA.c.sql.is_not(None))
        .order_by(kinds)
    ).all()
    with _fast_secure_delete(connection):
        connection.execute(DropTable(metadata.tables[name]))
    later = []
    for kind, ddl in found:
        if kind == "table":
            connection.exec_driver_sql(ddl)
        else:
            later.append(ddl)
    yield
    for ddl in later:  # the indexes (and any trigger), as they were
        connection.exec_driver_sql(ddl)


@contextmanager
def _fast_secure_delete(connection: Connection) -> Iterator[None]:
    """SQLite's ``secure_delete`` at FAST while the block runs: freed pages are not overwritten.

    Builds that turn it on (Debian's) zero every page a DROP frees, each one another page
    written to the WAL: 0.7 of the 0.8 s of dropping 2.4 million credits. FAST still clears
    deleted rows out of the pages that stay in use; the freed ones keep their bytes until
    reused, which the reload that follows does at once.
    """
    driver = connection.connection.driver_connection
    before = int(driver.execute("PRAGMA secure_delete").fetchone()[0])
    driver.execute("PRAGMA secure_delete=FAST")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA secure_delete={before}")


#: SQLite's page cache for one write of millions of rows (default: 2 MiB). Index pages a big
#: write touches again and again then stay in memory instead of being spilled to the WAL each
#: time: measured on a million-row insert with two indexes, 49 MB of WAL against 273 MB and a
#: third less CPU. Only for that write: every pooled connection keeping it would add up.
BIG_WRITE_CACHE_KIB = 256 * 1024


@contextmanager
def big_write_cache(connection: Connection) -> Iterator[None]:
    """On SQLite, `BIG_WRITE_CACHE_KIB` of page cache on `connection` while the block runs."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    before = int(driver.execute("PRAGMA cache_size").fetchone()[0])
    driver.execute(f"PRAGMA cache_size=-{BIG_WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size={before}")


class BulkWriter(Protocol):
    """Writes frames in its own transaction, committed by `commit`."""

    def write(self, table: str, frame: pl.DataFrame) -> int: ...

    def commit(self) -> None: ...


class _Writer:
    """A raw DB-API connection used for one bulk load (ADBC on SQLite, psycopg on PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.dialect = engine.dialect
        if engine.dialect.name == "sqlite":
            import adbc_driver_sqlite.dbapi as adbc

            self.connection: Any = adbc.connect(engine.url.database or "", autocommit=False)
            self.execute("PRAGMA foreign_keys=ON")
            self.execute("PRAGMA busy_timeout=10000")
        else:
            self.raw = engine.raw_connection()
            self.connection = self.raw.driver_connection
            # Index rebuilds sort in memory instead of spilling to disk in 64 MB runs.
            self.execute("SET maintenance_work_mem = '1GB'")

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []

    def write(self, table: str, frame: pl.DataFrame) -> int:
        if frame.height == 0:
            return 0
        frame = with_defaults(table, frame)
        if self.dialect.name == "sqlite":
            # Arrow ingest: the per-row loop runs in C, several times faster than executemany.
            with self.connection.cursor() as cursor:
                cursor.adbc_ingest(table, for_sqlite(frame).to_arrow(), mode="append")
        else:
            _copy_postgres(self.connection, table, frame)
        return frame.height

    def commit(self) -> None:
        self.connection.commit()

    def close(self) -> None:
        self.connection.rollback()
        # A pooled PostgreSQL connection goes back to its pool; ADBC's is ours to close.
        (self.raw if self.dialect.name != "sqlite" else self.connection).close()


@contextmanager
def bulk_writer(engine: Engine, *, rebuild_indexes: list[str] = ()) -> Iterator[BulkWriter]:
    """A writer for a large load; the indexes of the empty `rebuild_indexes` tables are dropped
    for the load and rebuilt at the end (once over all rows is far cheaper than row by row, and a
    rebuilt unique index still rejects duplicates).

    On SQLite the engine's pooled connections are closed first: ADBC links its own SQLite, and two
    SQLite libraries holding the same file open in one process break each other's POSIX locks.
    """
    engine.dispose()
    writer = _Writer(engine)
    dropped: list[Index] = []
    try:
        for table in rebuild_indexes:
            if not writer.execute(f"SELECT 1 FROM {table} LIMIT 1"):  # noqa: S608 - model names
                for index in metadata.tables[table].indexes:
                    writer.execute(f"DROP INDEX IF EXISTS {index.name}")
                    dropped.append(index)
        writer.commit()
        yield writer
        for index in dropped:
            writer.execute(str(CreateIndex(index).compile(dialect=engine.dialect)))
        writer.execute("ANALYZE")
        writer.commit()
    finally:
        writer.close()


def reset_sequences(connection: Connection, tables: list[str]) -> None:
    """After loading explicit ids into PostgreSQL, move each id sequence past the largest id."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )
