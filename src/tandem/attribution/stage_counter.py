"""Campaign ROI's MQL and SQL counts, counted by a full run beside its own work.

The count joins every MQL and SQL transition to the campaign touches of its lookback: at
1,000,000 contacts about 6 CPU-seconds, all inside the database. Nothing a run writes is read
by it, so when a connection of its own sees the same rows as the run's (`separate_read_ok`) it
is counted on that connection in a thread, from the start of the run: the database works on it
while the run reads, credits and writes (SQLite's and psycopg's drivers let go of the GIL while
the database works). Otherwise (the run's transaction wrote those tables, or an in-memory
database) it is counted on the run's connection before anything is written. Same SQL, same
numbers.
"""

import threading
from typing import Any

import polars as pl
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tandem.attribution.config import AttributionConfig
from tandem.attribution.lookups import (
    STAGE_COUNT_SCHEMA,
    stage_count_frame,
    stage_counts,
    stage_counts_query,
)
from tandem.attribution.schemas import AttributionFilters
from tandem.columnar import read_rows
from tandem.columnar.source import ColumnarUnavailable, separate_read_ok, sqlite_path


def stored_form(counts: pl.DataFrame, lookback_days: int) -> dict[str, Any]:
    """Counts as a run stores them: ``{"lookback_days": n, "rows": [[campaign, mqls, sqls]]}``."""
    rows = counts.sort("campaign_id").select("campaign_id", "mqls", "sqls").rows()
    return {"lookback_days": lookback_days, "rows": [list(row) for row in rows]}


class StageCounting:
    """The counts of all dates under a configuration's lookback, being counted."""

    def __init__(self, db_session: Session, config: AttributionConfig) -> None:
        self.lookback = config.window.lookback_days
        self._found: dict[str, Any] = {}
        self._thread: threading.Thread | None = None
        connection = db_session.connection()
        query = stage_counts_query(connection, AttributionFilters(), lookback_days=self.lookback)
        if _aside_ok(connection, query):
            self._thread = threading.Thread(
                target=self._count, args=(connection,), name="attribution-stage-counts"
            )
            self._thread.start()
        else:
            self._found["counts"] = stage_counts(
                connection, AttributionFilters(), lookback_days=self.lookback
            )

    def _count(self, run_connection: Connection) -> None:
        try:
            with run_connection.engine.connect() as own:
                query = stage_counts_query(own, AttributionFilters(), lookback_days=self.lookback)
                # A few dozen rows: the DB-API reads them on this connection, in this thread.
                self._found["counts"] = stage_count_frame(read_rows(own, query, STAGE_COUNT_SCHEMA))
        except BaseException as error:  # handed to the run, which raises it
            self._found["error"] = error

    def join(self) -> None:
        """Wait until the counting has ended (a failed run waits too: no thread outlives it)."""
        if self._thread is not None:
            self._thread.join()

    def result(self) -> dict[str, Any]:
        """The counts in their stored form (waits for them); raises what the counting raised."""
        self.join()
        if "error" in self._found:
            raise self._found["error"]
        return stored_form(self._found["counts"], self.lookback)


def _aside_ok(connection: Connection, query: Any) -> bool:
    """A connection of its own sees what the run's connection sees (a file, not memory)."""
    if connection.dialect.name == "sqlite":
        try:
            sqlite_path(connection)
        except ColumnarUnavailable:
            return False
    return separate_read_ok(connection, query)
