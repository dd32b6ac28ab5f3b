"""Whole-table reads in columns: a SELECT's rows straight into Arrow, then Polars.

Every full recompute (a model's approval and full rescore, backtests, attribution runs, the
dashboards' columnar copy) reads millions of rows. Through the DB-API each value becomes a
Python object first (about 6 µs a row); through ADBC the database driver fills Arrow buffers in
C. `read_table` takes the Arrow route when it sees the same rows the caller's connection would
(`source.separate_read_ok`) and the DB-API route otherwise (`read_rows`, the earlier path, kept
for those cases and for the benchmarks' comparison).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select

from tandem.columnar import source
from tandem.columnar.source import ColumnarUnavailable

Finish = Callable[[pl.DataFrame], pl.DataFrame]

__all__ = ["ColumnarUnavailable", "Read", "read_rows", "read_table", "read_many", "arrow_batches"]


def _identity(frame: pl.DataFrame) -> pl.DataFrame:
    return frame


def read_rows(
    connection: Connection,
    query: Any,
    schema: dict[str, Any],
    finish: Finish = _identity,
    batch: int = 250_000,
) -> pl.DataFrame:
    """The DB-API path: `query`'s rows fetched in batches, each made a frame with `schema`'s
    names and types (values that do not fit become null, as Polars' non-strict construction
    does), then `finish`ed. Batches keep tens of millions of rows from being held as tuples."""
    result = connection.execute(query)
    frames = []
    try:
        cursor = result.cursor
        while cursor is not None and (rows := cursor.fetchmany(batch)):
            frames.append(finish(pl.DataFrame(rows, schema=schema, orient="row", strict=False)))
    finally:
        result.close()
    return pl.concat(frames) if frames else finish(pl.DataFrame(schema=schema))


def arrow_batches(connection: Connection, query: Any, schema: dict[str, Any]) -> Any:
    """`query`'s rows as an iterator of Arrow record batches read on a connection of its own
    (raises `ColumnarUnavailable` when that connection would not see the caller's rows)."""
    return source.batches(connection, query, schema)


def read_table(
    connection: Connection,
    query: Any,
    schema: dict[str, Any],
    finish: Finish = _identity,
    *,
    chunk_rows: int = 1_000_000,
    split_by: Any = None,
) -> pl.DataFrame:
    """`query`'s rows as a frame with `schema`'s names and types, `finish`ed a chunk at a time:
    through Arrow where possible, else through the DB-API (`read_rows`), same result.

    `split_by`, an integer key of the table read (its row id on SQLite), splits the read into
    equal key ranges read at once, one reader each (`source.readers`), and joined in key order:
    the database's part of a big read is most of it, and one reader uses one core.
    """
    return read_many(connection, [Read(query, schema, finish, split_by)], chunk_rows=chunk_rows)[0]


@dataclass(frozen=True)
class Read:
    """One read of `read_many`: `read_table`'s arguments."""

    query: Any
    schema: dict[str, Any]
    finish: Finish = _identity
    split_by: Any = None


def read_many(
    connection: Connection, reads: Sequence[Read], *, chunk_rows: int = 1_000_000
) -> list[pl.DataFrame]:
    """`read_table` of each of `reads` (the same frames, in order), all read at once: every
    part of every read is opened on a thread of its own and waits for a free reader, so the
    small reads of a computation run beside its big one instead of one after another."""
    plans: list[list[Callable[[], Any]] | None] = []
    for read in reads:
        try:
            # Checked and compiled here, on the caller's connection; opened and read on
            # threads, so a part waiting for a free reader never holds one another waits for.
            source.check(connection, read.query)
            parts = [read.query] if read.split_by is None else _split(connection, read)
            plans.append([source.prepare(connection, part, read.schema) for part in parts])
        except ColumnarUnavailable:
            plans.append(None)
    jobs = [(i, opener) for i, plan in enumerate(plans) for opener in plan or ()]

    def collect(job: tuple[int, Callable[[], Any]]) -> pl.DataFrame | None:
        read = reads[job[0]]
        try:
            return _collect(job[1](), read.schema, read.finish, chunk_rows)
        except ColumnarUnavailable:
            return None

    if len(jobs) == 1:
        collected = [collect(jobs[0])]
    else:
        with ThreadPoolExecutor(max(1, len(jobs))) as pool:
            collected = list(pool.map(collect, jobs))
    found: dict[int, list[pl.DataFrame | None]] = {}
    for (i, _), frame in zip(jobs, collected, strict=True):
        found.setdefault(i, []).append(frame)
    frames = []
    for i, read in enumerate(reads):
        parts = found.get(i, [None])
        if any(part is None for part in parts):
            # Not readable apart, or a value the driver could not type (SQLite's columns can
            # mix types): read on the caller's connection rather than return part of the rows.
            frames.append(read_rows(connection, read.query, read.schema, read.finish))
        else:
            frames.append(pl.concat(parts) if len(parts) > 1 else parts[0])  # type: ignore[arg-type]
    return frames


def _split(connection: Connection, read: Read) -> list[Any]:
    """`read`'s query in ranges of its `split_by` key, as many as may be read at once (the
    range known now: rows added later are left to the next read, as a single read would)."""
    query, key = read.query, read.split_by
    count = source.readers(connection)
    # Two subqueries: SQLite answers a lone min() or max() of a key from its b-tree, but
    # scans the whole table for both in one SELECT.
    bounds = (select(func.min(key)).scalar_subquery(), select(func.max(key)).scalar_subquery())
    low, high = connection.execute(select(*bounds)).one()
    if count < 2 or low is None or high - low < count:
        return [query]
    step = (high - low) // count + 1
    return [
        query.where(key.between(low + i * step, min(high, low + (i + 1) * step - 1)))
        for i in range(count)
    ]


def _collect(batches: Any, schema: dict[str, Any], finish: Finish, chunk_rows: int) -> pl.DataFrame:
    frames, pending, count = [], [], 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        if count >= chunk_rows:
            frames.append(finish(_frame(pending, schema)))
            pending, count = [], 0
    if pending or not frames:
        frames.append(finish(_frame(pending, schema)))
    return pl.concat(frames) if len(frames) > 1 else frames[0]


def _frame(batches: list[Any], schema: dict[str, Any]) -> pl.DataFrame:
    if not batches:
        return pl.DataFrame(schema=schema)
    import pyarrow as pa

    raw = pl.from_arrow(pa.Table.from_batches(batches), rechunk=False)
    assert isinstance(raw, pl.DataFrame)
    # Positional, like the DB-API path: the SELECT's labels need not match the schema's names.
    return raw.select(
        pl.col(old).cast(dtype, strict=False).alias(name)
        for old, (name, dtype) in zip(raw.columns, schema.items(), strict=True)
    )
