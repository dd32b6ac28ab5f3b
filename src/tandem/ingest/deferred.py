"""Indexes built after a big load rather than row by row during it.

A first load of millions of activities spends most of its time maintaining B-tree indexes at
random positions: the idempotency key above all (a 20M-row load rewrote most of its leaf
pages with every chunk), then contact and time, type and time, campaign. When a file holds at
least `BULK_MIN_ROWS` rows (estimated from its size) and more than the table already has, the
job drops the table's indexes (all but the partial ones, see `deferrable`) with its first chunk
and builds them again when it stops (done, failed or interrupted), each with one sort. On
PostgreSQL its foreign keys go too and come back at the end, each checked by one join instead
of a trigger per row (which tripled the time of a COPY); what the keys' ON DELETE would have
done meanwhile (a contact deleted during the load) is done when they come back.

Without its unique index the table cannot refuse a second copy of a key, so while the load
runs:
- the job itself stores each key once: keys repeated in the file are caught by its in-file
  check, keys already stored by the key set read at its start (`stored_keys`);
- nobody else may insert activities: a guard (a trigger) refuses every other insert with a
  message naming the job, and the job lifts it only inside its own chunk transactions
  (`let_in`). The event API answers such a refusal 503, retry later.
A job killed outright leaves the indexes missing and the guard in place until `tandem import
resume` (or any later big activities import, which goes on in the same mode) finishes; reads
stay correct meanwhile, only slower.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sqlalchemy import Connection, ForeignKeyConstraint, Index, Table, text
from sqlalchemy.schema import AddConstraint, CreateIndex

from tandem.ingest.setsql import Sql

BULK_MIN_ROWS = 500_000
PG_INDEX_MEMORY = "512MB"  # maintenance_work_mem of the session that builds them
GUARD = "tandem_bulk_guard"
GUARD_MARK = "activities are being bulk loaded"  # in every refusal: how the API knows one
_HASH_SEED = 11


def deferrable(table: Table) -> list[Index]:
    """The indexes of `table` a big load builds at its end: all but the partial ones. A
    partial index costs a touch outside it nothing during the load, but building it again
    reads the whole table (13 s of a 20M-row load for the campaign and asset indexes, which
    such a file rarely fills)."""
    return sorted((i for i in table.indexes if not _partial(i)), key=lambda i: str(i.name))


def _partial(index: Index) -> bool:
    return any(index.dialect_options[d]["where"] is not None for d in ("sqlite", "postgresql"))


def worth_it(connection: Connection, table: Table, file_rows: int, min_rows: int) -> bool:
    """A file of `file_rows` rows is big enough (`min_rows`, the setting
    `ingest_bulk_min_rows`), against what `table` holds, to defer; or a killed big load left
    the table without its indexes (go on in the same mode)."""
    if missing(connection, table) or missing_keys(connection, table):
        return True
    if file_rows < min_rows:
        return False
    # Counts at most `file_rows` rows (ids have gaps: PostgreSQL's sequences never go back).
    held = connection.execute(
        text(f"SELECT count(*) FROM (SELECT 1 FROM {table.name} LIMIT :n) AS held"),  # noqa: S608
        {"n": file_rows},
    ).scalar_one()
    return held < file_rows


def top_id(connection: Connection, table: Table) -> int:
    """The largest id in `table` (0 when empty): about its row count, read from the index."""
    top = connection.execute(text(f"SELECT max(id) FROM {table.name}")).scalar()  # noqa: S608
    return int(top or 0)


def foreign_keys(connection: Connection, table: Table) -> list[ForeignKeyConstraint]:
    """The foreign keys of `table` a big load checks at its end: all of them on PostgreSQL,
    none on SQLite (which cannot drop one; its checks run in-process, cheaply)."""
    if connection.dialect.name != "postgresql":
        return []
    return sorted(table.foreign_key_constraints, key=lambda k: str(k.name))


def drop(connection: Connection, table: Table) -> None:
    """Drop the indexes and (PostgreSQL) foreign keys, in the caller's transaction."""
    for index in deferrable(table):
        connection.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
    for key in foreign_keys(connection, table):
        connection.execute(text(f"ALTER TABLE {table.name} DROP CONSTRAINT IF EXISTS {key.name}"))


def lock_out(connection: Connection, table: Table, job_id: int) -> None:
    """Refuse every insert into `table` but the job's own (`let_in`), in the caller's
    transaction: SQLite (re)creates the trigger its chunk dropped; PostgreSQL creates it once."""
    message = f"{GUARD_MARK} by import job {int(job_id)}: retry when it ends"
    if connection.dialect.name == "sqlite":
        connection.execute(
            text(
                f"CREATE TRIGGER IF NOT EXISTS {GUARD} BEFORE INSERT ON {table.name} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        )
        return
    exists = text("SELECT 1 FROM pg_trigger WHERE tgname = :name")
    if connection.execute(exists, {"name": GUARD}).first():
        return
    connection.execute(
        text(
            f"""CREATE OR REPLACE FUNCTION {GUARD}() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('tandem.bulk_load', true), '') <> 'on' THEN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql"""
        )
    )
    connection.execute(
        text(
            f"CREATE TRIGGER {GUARD} BEFORE INSERT ON {table.name} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {GUARD}('{message}')"
        )
    )


def let_in(connection: Connection, table: Table) -> None:
    """Lift the guard for the rest of the caller's transaction (the job's chunk): SQLite drops
    the trigger (`lock_out` puts it back before the commit), PostgreSQL marks the transaction."""
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"DROP TRIGGER IF EXISTS {GUARD}"))
    else:
        connection.execute(text("SET LOCAL tandem.bulk_load = 'on'"))


def is_refusal(exc: BaseException) -> bool:
    """`exc` is the guard refusing an insert (or wraps such an error)."""
    return GUARD_MARK in str(exc)


def _index_names(connection: Connection, table: str) -> set[str]:
    # Read from the catalogue: SQLAlchemy's SQLite inspector skips expression indexes (the
    # search box's lower(name) ones), which would look missing and force every load to defer.
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE tablename = :t"
    return set(connection.execute(text(query), {"t": table}).scalars())


def missing(connection: Connection, table: Table) -> list[Index]:
    present = _index_names(connection, table.name)
    return [i for i in deferrable(table) if i.name not in present]


def missing_keys(connection: Connection, table: Table) -> list[ForeignKeyConstraint]:
    keys = foreign_keys(connection, table)
    if not keys:
        return []
    query = text(
        "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = CAST(:t AS regclass)"
    )
    present = set(connection.execute(query, {"t": table.name}).scalars())
    return [k for k in keys if k.name not in present]


def _add_key(connection: Connection, table: Table, key: ForeignKeyConstraint) -> None:
    """Put `key` back, first doing what its ON DELETE would have done to rows whose parent
    went while it was away (deleted, or the reference set to NULL)."""
    (column,) = [c.name for c in key.columns]
    parent = key.referred_table.name
    orphan = f"{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {column})"  # noqa: S608
    if key.ondelete == "CASCADE":
        connection.execute(text(f"DELETE FROM {table.name} WHERE {orphan}"))  # noqa: S608
    else:
        connection.execute(text(f"UPDATE {table.name} SET {column} = NULL WHERE {orphan}"))  # noqa: S608
    connection.execute(AddConstraint(key))


def restore(connection: Connection, table: Table) -> list[str]:
    """Build the indexes and put back the foreign keys that are missing, then take the guard
    down; their names."""
    absent = missing(connection, table)
    if absent and connection.dialect.name == "postgresql":
        connection.execute(text(f"SET LOCAL maintenance_work_mem = '{PG_INDEX_MEMORY}'"))
    for index in absent:
        connection.execute(CreateIndex(index, if_not_exists=True))
    keys = missing_keys(connection, table)
    for key in keys:
        _add_key(connection, table, key)
    if connection.dialect.name == "sqlite":
        connection.execute(text(f"DROP TRIGGER IF EXISTS {GUARD}"))
    else:
        connection.execute(text(f"DROP TRIGGER IF EXISTS {GUARD} ON {table.name}"))
        connection.execute(text(f"DROP FUNCTION IF EXISTS {GUARD}()"))
    return [str(i.name) for i in absent] + [str(k.name) for k in keys]


def key_hashes(keys: pl.Series) -> np.ndarray:
    """64-bit hashes of idempotency keys, exactly as stored (case and all), sorted."""
    return np.sort(keys.drop_nulls().hash(seed=_HASH_SEED).to_numpy())


def stored_keys(connection: Connection, table: Table) -> np.ndarray:
    """`key_hashes` of every key `table` holds (read once, when a big load starts)."""
    if top_id(connection, table) == 0:
        return np.zeros(0, dtype=np.uint64)
    return key_hashes(Sql(connection).select_all(table, ["idempotency_key"])["idempotency_key"])


def already_stored(stored: np.ndarray, keys: pl.Series) -> pl.Series:
    """Which of `keys` are in `stored` (by 64-bit hash: a 20M-row file over a 20M-row table
    has about one chance in 45,000 of one false match; none into an empty table)."""
    if len(stored) == 0:
        return pl.Series([False] * keys.len())
    hashes = keys.hash(seed=_HASH_SEED).to_numpy()
    at = np.minimum(np.searchsorted(stored, hashes), len(stored) - 1)
    return pl.Series(stored[at] == hashes) & keys.is_not_null()
