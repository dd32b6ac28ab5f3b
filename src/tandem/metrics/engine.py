"""Run metric statements on DuckDB (or, configured, Spark) over the relations of one set of facts.

The relations (`tandem.analytics.relations`) are Arrow-backed Polars frames; DuckDB reads them
in place, so registering a million-row relation costs nothing and each figure is one columnar
scan. One engine per facts object: the facts are immutable, so a figure never sees two
versions of the store.
"""

import threading
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from tandem.metrics.sql import DUCKDB, Dialect, Statement


class Engine:
    """Answers SQL over named relations, each built on first use (DuckDB; subclasses run the
    same statements elsewhere, `tandem.engines.spark`)."""

    dialect: Dialect = DUCKDB

    def __init__(self, relations: Mapping[str, Callable[[], pl.DataFrame | Path]]) -> None:
        self._builders = dict(relations)
        self._tables: dict[str, Any] = {}  # Arrow tables by relation name
        self._connection = self._open()
        self._known: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()

    def _open(self) -> Any:
        return duckdb.connect()

    def _table(self, relation: str) -> Any:
        with self._lock:
            if relation not in self._tables:
                built = self._builders[relation]()
                # A relation may be a Parquet file (an export of the store): read, not copied.
                is_file = isinstance(built, Path)
                self._tables[relation] = pq.read_table(built) if is_file else built.to_arrow()
            return self._tables[relation]

    def _execute(self, relation: str, statement: Statement) -> tuple[list[str], list[tuple]]:
        table = self._table(relation)
        # One cursor per call (requests run in threads); a registered Arrow table is local to
        # its cursor and registering one copies nothing.
        cursor = self._connection.cursor()
        try:
            cursor.register(relation, table)
            result = cursor.execute(statement.text, list(statement.params))
            return [d[0] for d in result.description], result.fetchall()
        finally:
            cursor.close()

    def arrow(self, relations: Sequence[str], statement: Statement) -> pa.Table:
        """The statement's result as an Arrow table (it reads every one of `relations`): how
        a whole-table computation (`tandem.engines.rescore_sql`) gets its answer back."""
        tables = {name: self._table(name) for name in relations}
        cursor = self._connection.cursor()
        try:
            for name, table in tables.items():
                cursor.register(name, table)
            return cursor.sql(statement.text, params=list(statement.params)).to_arrow_table()
        finally:
            cursor.close()

    def rows(self, relation: str, statement: Statement) -> list[tuple[Any, ...]]:
        """The statement's rows (it reads `relation`)."""
        return self._execute(relation, statement)[1]

    def columns(self, relation: str, statement: Statement) -> tuple[list[str], list[tuple]]:
        """The statement's column names and rows."""
        return self._execute(relation, statement)

    def known(self, relation: str, column: str) -> list[str]:
        """Every value `column` takes in `relation`, sorted (cached); both names come from a
        metric's definition, checked against its dimensions by the caller."""
        key = (relation, column)
        if key not in self._known:
            statement = Statement(
                f"SELECT DISTINCT {column} FROM {relation} WHERE {column} IS NOT NULL",  # noqa: S608
                (),
            )
            self._known[key] = sorted(str(r[0]) for r in self.rows(relation, statement))
        return self._known[key]


#: The engine this process runs figures on: set once at start from the settings (`use`).
_CHOSEN = {"engine": "duckdb", "spark_master": "local[2]"}


def use(settings: Any) -> None:
    """Run every later figure of this process on `settings.analytics_engine` (checked when the
    settings were read: `tandem.engines.choice`)."""
    _CHOSEN.update(engine=settings.analytics_engine, spark_master=settings.spark_master)
    engine_for.cache_clear()


def chosen() -> dict[str, str]:
    """The engine and Spark master chosen at start."""
    return dict(_CHOSEN)


def relations_of(facts: Any) -> dict[str, Callable[[], pl.DataFrame]]:
    """The builders of every relation over `facts` (a `tandem.analytics.frames.Facts`)."""
    from tandem.analytics.relations import relations

    return {name: (lambda b=build: b(facts)) for name, (build, _) in relations().items()}


@lru_cache(maxsize=2)
def engine_for(facts: Any) -> Engine:
    """The engine over `facts`, kept while it is current, on the engine chosen at start."""
    if _CHOSEN["engine"] == "spark":
        from tandem.engines.spark import SparkEngine, session

        return SparkEngine(relations_of(facts), session(_CHOSEN["spark_master"]))
    return Engine(relations_of(facts))
