"""Set-based SQL on the connection of a chunk or request, in its transaction, through the raw
DB-API cursor (no per-row SQLAlchemy work): reads of the rows whose key is in a list (one
statement, the list one JSON parameter: `IN (SELECT value FROM json_each(?))` on SQLite,
`= ANY(ARRAY(... json_array_elements_text(%s)))` on PostgreSQL) and inserts of new rows with
`ON CONFLICT DO NOTHING` that say which rows were inserted.

Values come back typed for Polars: timestamps as aware UTC datetimes, numerics as floats, JSON
as text. Table and column names come from the models, never from input.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from itertools import chain
from typing import Any

import polars as pl
from sqlalchemy import JSON, Boolean, Connection, Date, Numeric, Table

from tandem.bulk import SQLITE_TS, for_postgres, for_sqlite
from tandem.db import UTCDateTime

PG_ARRAYS_AT = 5_000  # rows up to which a PostgreSQL insert binds arrays (`Sql._arrays`)
SQLITE_CACHE_KIB = 512 * 1024  # page cache of an importing connection (SQLite's default: 2 MB)
# A big load's cache holds its table and indexes (about this much per activity row), so random
# inserts into the idempotency-key index stay in memory; at most a quarter of the machine's RAM.
SQLITE_BYTES_PER_ROW = 300
# Values bound by one multi-row INSERT on SQLite (under the oldest default limit of 999).
SQLITE_VALUES_PER_STATEMENT = 960


def cache_kib_for(rows: int) -> int:
    """The page cache (KiB) for an importing connection that will hold some `rows` rows."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 4 << 30
    wanted = rows * SQLITE_BYTES_PER_ROW // 1024
    return max(SQLITE_CACHE_KIB, min(wanted, ram // 4 // 1024))


def _kind_of(table: Table, name: str) -> str:
    column_type = table.c[name].type
    if isinstance(column_type, UTCDateTime):
        return "datetime"
    if isinstance(column_type, JSON):
        return "json"
    if isinstance(column_type, Boolean):
        return "bool"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, Numeric):
        return "numeric"
    return "plain"


class Sql:
    """Reads and inserts on the chunk's connection (raw DB-API cursor), in its transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self.raw = connection.connection.driver_connection

    def large_cache(self, kib: int = SQLITE_CACHE_KIB) -> int | None:
        """SQLite: a page cache of `kib` KiB, big enough for random inserts into big indexes
        (idempotency keys), for this connection; returns the previous size, for
        `restore_cache`."""
        if not self.sqlite:
            return None
        previous = int(self._run("PRAGMA cache_size")[0][0])
        self._run(f"PRAGMA cache_size=-{kib}")
        return previous

    def restore_cache(self, previous: int | None) -> None:
        if previous is not None:
            self._run(f"PRAGMA cache_size={previous}")

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.sqlite:
            return self.raw.execute(sql, params).fetchall()
        with self.raw.cursor() as cursor:
            cursor.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def select(self, table: Table, columns: list[str], key: str, keys: list[Any]) -> pl.DataFrame:
        """`columns` of the rows whose `key` is one of `keys` (text or numbers; typed:
        datetimes aware UTC, numerics as floats, JSON as text)."""
        kinds = {c: _kind_of(table, c) for c in columns}
        if not keys:
            return self._typed(table, columns, [], kinds)
        if self.sqlite:
            where = f"{key} IN (SELECT value FROM json_each(?))"  # noqa: S608 - model names
            param: Any = json.dumps(keys)
            shown = list(columns)
        else:
            # One JSON text, not a list: psycopg dumps a list's items one by one in Python
            # (1 ms per 1,000 emails, a thirtieth of an API batch), JSON in 0.1 ms.
            typed = table.c[key].type.compile(dialect=self.connection.dialect)
            where = (
                f"{key} = ANY(ARRAY(SELECT CAST(k AS {typed}) "  # noqa: S608 - model names
                "FROM json_array_elements_text(CAST(%s AS json)) AS k))"
            )
            param = json.dumps(keys)
            shown = [_pg_read(c, kinds[c]) for c in columns]
        sql = f"SELECT {', '.join(shown)} FROM {table.name} WHERE {where}"  # noqa: S608
        return self._typed(table, columns, self._run(sql, (param,)), kinds)

    def select_all(self, table: Table, columns: list[str]) -> pl.DataFrame:
        kinds = {c: _kind_of(table, c) for c in columns}
        shown = columns if self.sqlite else [_pg_read(c, kinds[c]) for c in columns]
        sql = f"SELECT {', '.join(shown)} FROM {table.name}"  # noqa: S608
        return self._typed(table, columns, self._run(sql), kinds)

    def count(self, table: Table) -> int:
        return int(self._run(f"SELECT count(*) FROM {table.name}")[0][0])  # noqa: S608

    def _typed(
        self, table: Table, columns: list[str], rows: list[Any], kinds: dict[str, str]
    ) -> pl.DataFrame:
        schema: dict[str, pl.DataType] = {}
        for c in columns:
            kind = kinds[c]
            if kind == "datetime":
                schema[c] = pl.String() if self.sqlite else pl.Int64()
            elif kind == "numeric":
                schema[c] = pl.Float64()
            elif kind in ("json", "plain") and table.c[c].type.python_type is not int:
                schema[c] = pl.String()
            elif kind == "bool":
                schema[c] = pl.Boolean()
            else:
                schema[c] = pl.Int64()
        frame = pl.DataFrame(rows, schema=schema, orient="row")
        fixes = []
        for c in columns:
            if kinds[c] != "datetime":
                continue
            if self.sqlite:
                text = pl.col(c).str.slice(0, 26)
                fixes.append(
                    text.str.to_datetime(SQLITE_TS, strict=False, time_unit="us")
                    .dt.replace_time_zone("UTC")
                    .alias(c)
                )
            else:
                fixes.append(pl.from_epoch(pl.col(c), "us").dt.replace_time_zone("UTC").alias(c))
        return frame.with_columns(fixes) if fixes else frame

    def insert_new(
        self,
        table: Table,
        frame: pl.DataFrame,
        returning: list[str],
        sort: str | None = None,
        exclusive: bool = False,
    ) -> pl.DataFrame:
        """Insert the rows of `frame` (table column names) that conflict with no unique key;
        `id` and the `returning` columns of the rows inserted, in insertion order. Rows
        repeating a unique value of an earlier row of `frame` are not inserted either.

        `exclusive` (SQLite): the transaction holds the database's write lock already (see
        `jobs._claim`), so one executemany is followed by reading the rows past the largest id
        before it (SQLite gives new rows larger ids). Otherwise one `INSERT ... SELECT ... FROM
        json_each(?) ... RETURNING`. PostgreSQL: COPY into a temporary staging table, then one
        `INSERT ... SELECT ... RETURNING`. `sort`: insert in the order of that (uniquely
        indexed) column, so its index pages are visited in order rather than at random."""
        wanted = ["id", *returning]
        kinds = {c: _kind_of(table, c) for c in wanted}
        if frame.height == 0:
            return self._typed(table, wanted, [], kinds)
        if sort is not None:
            frame = frame.sort(sort)
        frame = _without_empty(table, frame, keep={*wanted, sort})
        columns = frame.columns
        listed = ", ".join(columns)
        if self.sqlite and exclusive:
            return self._executemany(table, frame, listed, wanted, kinds)
        if self.sqlite:
            rows = self._json(table, frame, listed, ", ".join(wanted))
        else:
            back = ", ".join(_pg_read(c, kinds[c]) for c in wanted)
            if frame.height <= PG_ARRAYS_AT:
                rows = self._arrays(table, frame, listed, back)
            else:
                rows = self._copy(table, frame, listed, back)
        return self._typed(table, wanted, rows, kinds)

    def load_new(
        self,
        table: Table,
        frame: pl.DataFrame,
        key: str,
        returning: tuple[str, ...] = (),
        parent: str | None = None,
    ) -> pl.DataFrame:
        """A big load's insert (`deferred`: the table's indexes are dropped, a guard keeps other
        writers out and the caller has left out every key stored before): the rows of `frame`
        whose `key` no earlier row of `frame` holds; `id`, `key` and the `returning` columns
        of each. SQLite: one executemany under the write lock, in the order of the foreign
        key `parent` when given (each row's key check then reads the parent table in order,
        not at random: 0.7 s instead of 2.0 for 200,000 touches of 1M contacts). PostgreSQL:
        their ids drawn from the table's sequence, then one COPY straight into the table (no
        staging table, no `INSERT ... SELECT`: without a unique index there is no conflict to
        look for)."""
        wanted = ["id", key, *returning]
        if frame.height == 0:
            return self._typed(table, wanted, [], {c: _kind_of(table, c) for c in wanted})
        frame = frame.unique(subset=[key], keep="first", maintain_order=True)
        frame = _without_empty(table, frame, keep={*wanted, parent})
        if self.sqlite:
            if parent is not None:
                frame = frame.sort(parent, maintain_order=True)
            kinds = {c: _kind_of(table, c) for c in wanted}
            return self._executemany(table, frame, ", ".join(frame.columns), wanted, kinds)
        drawn = self._run(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (table.name, frame.height),
        )
        ids = pl.Series("id", [row[0] for row in drawn], dtype=pl.Int64)
        loaded = frame.with_columns(ids)
        buffer = io.BytesIO()
        for_postgres(loaded).write_csv(buffer, include_header=False, null_value="")
        listed = ", ".join(loaded.columns)
        with self.raw.cursor() as cursor:
            sql = f"COPY {table.name} ({listed}) FROM STDIN (FORMAT csv)"
            with cursor.copy(sql) as copy:
                copy.write(buffer.getvalue())
        return loaded.select(wanted)

    def _executemany(
        self, table: Table, frame: pl.DataFrame, listed: str, wanted: list[str], kinds: dict
    ) -> pl.DataFrame:
        before = self._run(f"SELECT coalesce(max(id), 0) FROM {table.name}")[0][0]  # noqa: S608
        sent = for_sqlite(frame)
        shared = _shared_columns(sent)
        first = [sent[c][0] for c in shared]
        own = sent.drop(shared)
        per = max(1, (SQLITE_VALUES_PER_STATEMENT - len(shared)) // own.width)
        whole = frame.height // per * per
        inserted = 0
        # Many rows to a statement: SQLite steps and resets it once for all of them; the values
        # go as flat lists made column by column, and a value every row shares (when the rows
        # arrived, their source) is bound once, each row naming it by number (a third less
        # time than a row per statement and a tuple per row).
        for rows, statements in (
            (per, ([*first, *values] for values in _flat_rows(own.head(whole), per))),
            (1, ([*first, *values] for values in own.slice(whole).iter_rows())),
        ):
            listing = _numbered_rows(sent.columns, shared, rows)
            inserted += self.raw.executemany(
                f"INSERT INTO {table.name} ({listed}) VALUES {listing} "  # noqa: S608
                "ON CONFLICT DO NOTHING",
                statements,
            ).rowcount
        if inserted == frame.height and before < 2**62:
            # Every row went in, under the write lock: SQLite gave them the ids after the
            # largest one, in order (an INTEGER PRIMARY KEY without AUTOINCREMENT).
            ids = pl.int_range(before + 1, before + 1 + frame.height, eager=True).alias("id")
            return frame.select(ids, *wanted[1:])
        sql = f"SELECT {', '.join(wanted)} FROM {table.name} WHERE id > ? ORDER BY id"  # noqa: S608
        return self._typed(table, wanted, self._run(sql, (before,)), kinds)

    def _json(
        self, table: Table, frame: pl.DataFrame, listed: str, back: str
    ) -> list[tuple[Any, ...]]:
        picked = ", ".join(f"json_extract(value, '$.{c}')" for c in frame.columns)
        sql = (
            f"INSERT INTO {table.name} ({listed}) SELECT {picked} "  # noqa: S608
            f"FROM json_each(?) WHERE true ORDER BY key ON CONFLICT DO NOTHING RETURNING {back}"
        )
        return self._run(sql, (for_sqlite(frame).write_json(),))

    def _arrays(
        self, table: Table, frame: pl.DataFrame, listed: str, back: str
    ) -> list[tuple[Any, ...]]:
        """PostgreSQL, a small frame (an API batch): one statement, the rows one JSON parameter
        of text values (written by Polars, read by `json_to_recordset`), each cast to its
        column's type; no staging table to create, truncate and copy into (three more round
        trips and a catalogue change per batch)."""
        aliases = [f"c{n}" for n in range(len(frame.columns))]
        texts = for_postgres(frame).select(
            pl.col(c).cast(pl.String).alias(name)
            for c, name in zip(frame.columns, aliases, strict=True)
        )
        # A value every row shares (when the batch arrived, its source) goes once, as its own
        # parameter: the server then parses it once, not once a row.
        same = texts.select((pl.all().n_unique() == 1) & (pl.all().null_count() == 0)).row(0)
        once = {n for n, flag in zip(aliases, same, strict=True) if flag}
        if len(once) == len(aliases):
            once.discard(aliases[0])  # the rows' recordset needs a column
        names = [n for n in aliases if n not in once]
        params: list[Any] = [texts[n][0] for n in aliases if n in once]
        typed = ", ".join(
            f"CAST({'%s' if name in once else 'u.' + name} AS "
            f"{table.c[c].type.compile(dialect=self.connection.dialect)})"
            for name, c in zip(aliases, frame.columns, strict=True)
        )
        shape = ", ".join(f"{name} text" for name in names)
        sql = (
            f"INSERT INTO {table.name} ({listed}) SELECT {typed} "  # noqa: S608 - model names
            f"FROM ROWS FROM (json_to_recordset(CAST(%s AS json)) AS ({shape})) "
            f"WITH ORDINALITY AS u({', '.join(names)}, _ord) "
            f"ORDER BY u._ord ON CONFLICT DO NOTHING RETURNING {back}"
        )
        return self._run(sql, (*params, texts.select(names).write_json()))

    def _copy(
        self, table: Table, frame: pl.DataFrame, listed: str, back: str
    ) -> list[tuple[Any, ...]]:
        stage = (
            "tandem_stage_"
            + hashlib.blake2b(f"{table.name}:{listed}".encode(), digest_size=6).hexdigest()
        )
        ordered = frame.with_row_index("_ord").with_columns(pl.col("_ord").cast(pl.Int64))
        buffer = io.BytesIO()
        for_postgres(ordered).write_csv(buffer, include_header=False, null_value="")
        with self.raw.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS "  # noqa: S608 - model names
                f"SELECT 0 AS _ord, {listed} FROM {table.name} WHERE 1 = 0"
            )
            cursor.execute(f"TRUNCATE {stage}")
            with cursor.copy(f"COPY {stage} (_ord, {listed}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
            cursor.execute(
                f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM {stage} "  # noqa: S608
                f"ORDER BY _ord ON CONFLICT DO NOTHING RETURNING {back}"
            )
            return cursor.fetchall()


def _without_empty(table: Table, frame: pl.DataFrame, keep: set[str | None]) -> pl.DataFrame:
    """`frame` without the columns that are null in every row and have no server default: the
    database stores NULL for them anyway, and binding them cost a third of a 10-column
    executemany (campaign, asset and channel are often empty)."""
    empty = [
        c
        for c in frame.columns
        if c not in keep
        and table.c[c].server_default is None
        and frame[c].null_count() == frame.height
    ]
    return frame.drop(empty) if empty else frame


def _pg_read(name: str, kind: str) -> str:
    if kind == "datetime":
        return f"(extract(epoch from {name}) * 1000000)::int8"
    if kind == "numeric":
        return f"{name}::float8"
    if kind == "json":
        return f"{name}::text"
    return name


def _flat_rows(frame: pl.DataFrame, per: int) -> list[list[Any]]:
    """The values of `frame`, row after row, `per` rows to a list."""
    columns = [frame[c].to_list() for c in frame.columns]
    values = list(chain.from_iterable(zip(*columns, strict=True)))
    step = per * frame.width
    return [values[at : at + step] for at in range(0, len(values), step)]


def _shared_columns(frame: pl.DataFrame) -> list[str]:
    """The columns holding one value (not null) on every row of `frame`, all but one at most;
    none under two rows."""
    if frame.height < 2:
        return []
    shared = [
        c for c in frame.columns if frame[c].null_count() == 0 and (frame[c] == frame[c][0]).all()
    ]
    return shared[: frame.width - 1]


def _numbered_rows(columns: list[str], shared: list[str], rows: int) -> str:
    """`rows` VALUES tuples over numbered parameters: the `shared` columns' values first (`?1`
    on), then each row's own values in turn, in the order of `columns`."""
    width = len(columns) - len(shared)
    tuples = []
    for row in range(rows):
        own = iter(range(len(shared) + 1 + row * width, len(shared) + 1 + (row + 1) * width))
        marks = [f"?{shared.index(c) + 1}" if c in shared else f"?{next(own)}" for c in columns]
        tuples.append("(" + ", ".join(marks) + ")")
    return ", ".join(tuples)
