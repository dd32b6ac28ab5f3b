"""PostgreSQL: statements sent without waiting for each one's result (psycopg's pipeline mode).

A tick builds rows in Python and the server writes them; run one after the other, each waits
for the other. Sent through a pipeline, a batch goes to the server at once and this process
builds the next batch while the server writes the last; results are read when needed (a
sync). Everything stays in the session's transaction, on its one connection.

Statements are SQLAlchemy statements compiled for the session's dialect; only their bound
parameters are sent (no SQL text is built here). One with a Python-side default or onupdate
to compute at execution (`insert_prefetch`/`update_prefetch`) is refused: give the value.
"""

from __future__ import annotations

import select
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

_KEY = "tandem.pg_pipeline"


class Pending:
    """A statement sent: its rows (after `Pipeline.rows`) or nothing to read."""

    def __init__(self, cursor: Any, processors: Sequence[Any]) -> None:
        self.cursor, self.processors = cursor, processors


class Pipeline:
    """The session's connection in pipeline mode; see the module docstring."""

    def __init__(self, db_session: Session) -> None:
        connection = db_session.connection()  # begins the session's transaction if needed
        self.dialect = connection.dialect
        self.driver = connection.connection.driver_connection
        self.mode: Any = None

    def send(
        self,
        stmt: Any,
        params: Mapping[str, Any] | None = None,
        returning: Sequence[Any] = (),
    ) -> Pending:
        """Send `stmt` with `params` now; `returning`: the columns it returns, whose types
        read the rows (as SQLAlchemy's result would)."""
        compiled = stmt.compile(dialect=self.dialect)
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("a default computed at execution: give its value in the statement")
        values = compiled.construct_params(dict(params or {}))
        for bind in compiled.binds.values():
            name = compiled.escaped_bind_names.get(bind.key, bind.key)
            process = bind.type.bind_processor(self.dialect)
            if process is not None and values.get(name) is not None:
                values[name] = process(values[name])
        cursor = self.driver.cursor()
        cursor.execute(compiled.string, values)
        self._flush()
        return Pending(cursor, [c.type.result_processor(self.dialect, None) for c in returning])

    def _flush(self) -> None:
        # psycopg leaves what the socket did not take in libpq's buffer and, at the next
        # sync, waits for results the server cannot give before it has the whole statement
        # (a batch of rows is megabytes). Send it all now, reading what the server sends
        # meanwhile so neither side waits on the other: at most one batch is ahead.
        pgconn = self.driver.pgconn
        while pgconn.flush() == 1:
            readable, _, _ = select.select([pgconn.socket], [pgconn.socket], [])
            if readable:
                pgconn.consume_input()

    def rows(self, sent: Sequence[Pending]) -> list[tuple[Any, ...]]:
        """The rows the statements `sent` returned, in order (waits for them)."""
        assert self.mode is not None, "rows are read inside `pipelined`"
        self.mode.sync()
        out: list[tuple[Any, ...]] = []
        for one in sent:
            fetched = one.cursor.fetchall()
            if any(one.processors):
                fetched = [
                    tuple(p(v) if p else v for p, v in zip(one.processors, row, strict=True))
                    for row in fetched
                ]
            out += fetched
            one.cursor.close()
        return out


@contextmanager
def pipelined(db_session: Session) -> Iterator[Pipeline]:
    """The session's connection in pipeline mode for the block (nested blocks share it). On
    leaving the outermost block every statement sent has run; a failure is raised as
    SQLAlchemy's `DBAPIError` (e.g. `IntegrityError`), as an execute would raise it."""
    outer: Pipeline | None = db_session.info.get(_KEY)
    pipeline = outer or Pipeline(db_session)
    try:
        with pipeline.driver.pipeline() as mode:
            pipeline.mode, db_session.info[_KEY] = mode, pipeline
            yield pipeline
    except psycopg.Error as error:
        raise DBAPIError.instance(
            "(a pipelined statement)", None, error, psycopg.Error, dialect=pipeline.dialect
        ) from error
    finally:
        if outer is None:
            db_session.info.pop(_KEY, None)
            pipeline.mode = None


@contextmanager
def sending(db_session: Session) -> Iterator[Pipeline]:
    """The pipeline of an enclosing `pipelined` block, left open (what is sent here runs
    while the caller goes on); without one, a `pipelined` block of its own."""
    outer: Pipeline | None = db_session.info.get(_KEY)
    if outer is not None:
        yield outer
        return
    with pipelined(db_session) as pipeline:
        yield pipeline
