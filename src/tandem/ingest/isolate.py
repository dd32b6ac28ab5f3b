"""Quarantine, never abort: find the row a chunk's write fails on, and write the rest.

Validation catches what a value can say about itself; the database can still refuse one row
(a constraint, an overflow, an encoding it cannot store). Then the chunk's transaction rolls
back, and `write_isolating` writes it again in halves, each half its own transaction with its
own checkpoint, down to the single row that fails: that row is quarantined with its own line
and the database's reason, every other row goes in, and a resumed job goes on from the last
committed half. Failures no single row causes (a lost connection, a locked database, a bug)
are raised as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import polars as pl
from sqlalchemy import exc as sa

from tandem.ingest.rows import RowError


@dataclass(frozen=True)
class Part:
    """Lines of a chunk to write in one transaction: `lines` every line of it in file order
    (records and rows already quarantined), `records` those with a record to write,
    `refused` rows the database refused on an earlier try, `last_line` its checkpoint."""

    lines: tuple[int, ...]
    records: tuple[int, ...]
    last_line: int
    refused: tuple[RowError, ...] = field(default=())

    def halves(self) -> tuple[Part, Part]:
        """Two parts, split at the middle record; the first's checkpoint is its last line."""
        cut = self.records[len(self.records) // 2 - 1]
        first = tuple(n for n in self.lines if n <= cut)
        return (
            Part(first, tuple(n for n in self.records if n <= cut), first[-1]),
            Part(
                tuple(n for n in self.lines if n > cut),
                tuple(n for n in self.records if n > cut),
                self.last_line,
            ),
        )


def row_caused(exc: BaseException) -> bool:
    """True for a failure one row's values can cause: a constraint or value the database
    refuses, a value the driver cannot bind. Locks, lost connections and bugs are not. The
    set-based writers call the driver directly, so DB-API errors (sqlite3, psycopg) are
    recognised by their standard class names as well as SQLAlchemy's wrappers."""
    kinds = {cls.__name__ for cls in type(exc).__mro__}
    if kinds & {"OperationalError", "InterfaceError", "InternalError"}:
        return False
    if kinds & {"IntegrityError", "DataError"}:
        return True
    if isinstance(exc, sa.StatementError):  # a bind that failed in the driver or in Python
        return isinstance(exc.orig, OverflowError | ValueError | UnicodeError | TypeError) or (
            isinstance(exc, sa.ProgrammingError) and "binding parameter" in str(exc)
        )
    return isinstance(exc, OverflowError | UnicodeError | pl.exceptions.ComputeError)


def reason(exc: BaseException) -> str:
    """The database's reason, one line, without the SQL."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return f"could not be stored: {text[0][:300] if text else type(cause).__name__}"


def write_isolating(
    write: Callable[[Part], None], part: Part, on_retry: Callable[[], None] = lambda: None
) -> None:
    """`write(part)`; when the database refuses a row of it, the halves, down to that row,
    which is written as quarantined (`part.refused`). `on_retry` forgets what the writer
    cached from the rolled-back transaction (ids of rows it had created)."""
    try:
        write(part)
    except Exception as exc:
        if not row_caused(exc):
            raise
        on_retry()
        if len(part.records) > 1:
            for half in part.halves():
                write_isolating(write, half, on_retry)
        elif part.records:
            line = part.records[0]
            refused = (*part.refused, RowError(line, None, None, reason(exc)))
            write(replace(part, records=(), refused=refused))
        else:
            raise
