"""Secondary indexes built after a big load rather than row by row during it.

A first load of millions of activities spends most of its time maintaining B-tree indexes at
random positions (contact and time, type and time, campaign). When a file holds at least
`BULK_MIN_ROWS` rows (estimated from its size) and more than the table already has, the job
drops the table's non-unique indexes with its first chunk and builds them again when it stops
(done, failed or interrupted), each with one sort. The unique indexes stay: they keep every
row stored once while the load runs, whoever else writes. A job killed outright leaves them
missing until `tandem import resume` (or any later activities import) builds them; queries
stay correct meanwhile, only slower.
"""

from __future__ import annotations

from sqlalchemy import Connection, Index, Table, inspect, text
from sqlalchemy.schema import CreateIndex

BULK_MIN_ROWS = 500_000
PG_INDEX_MEMORY = "512MB"  # maintenance_work_mem of the session that builds them


def secondary(table: Table) -> list[Index]:
    """The indexes of `table` that no uniqueness depends on."""
    return sorted((i for i in table.indexes if not i.unique), key=lambda i: str(i.name))


def worth_it(connection: Connection, table: Table, file_rows: int) -> bool:
    """A file of `file_rows` rows is big enough, against what `table` holds, to defer."""
    return file_rows >= BULK_MIN_ROWS and top_id(connection, table) < file_rows


def top_id(connection: Connection, table: Table) -> int:
    """The largest id in `table` (0 when empty): about its row count, read from the index."""
    top = connection.execute(text(f"SELECT max(id) FROM {table.name}")).scalar()  # noqa: S608
    return int(top or 0)


def drop(connection: Connection, table: Table) -> None:
    """Drop the secondary indexes (in the caller's transaction)."""
    for index in secondary(table):
        connection.execute(text(f"DROP INDEX IF EXISTS {index.name}"))


def missing(connection: Connection, table: Table) -> list[Index]:
    present = {i["name"] for i in inspect(connection).get_indexes(table.name)}
    return [i for i in secondary(table) if i.name not in present]


def restore(connection: Connection, table: Table) -> list[str]:
    """Build the secondary indexes that are missing; their names."""
    absent = missing(connection, table)
    if absent and connection.dialect.name == "postgresql":
        connection.execute(text(f"SET LOCAL maintenance_work_mem = '{PG_INDEX_MEMORY}'"))
    for index in absent:
        connection.execute(CreateIndex(index, if_not_exists=True))
    return [str(i.name) for i in absent]
