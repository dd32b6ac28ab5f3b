"""Run metric statements on DuckDB over the relations of one set of facts.

The relations (`tandem.analytics.relations`) are Arrow-backed Polars frames; DuckDB reads them
in place, so registering a million-row relation costs nothing and each figure is one columnar
scan. One engine per facts object: the facts are immutable, so a figure never sees two
versions of the store.
"""

import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import duckdb
import polars as pl

from tandem.metrics.sql import DUCKDB, Dialect, Statement


class Engine:
    """Answers SQL over named relations, each built on first use."""

    dialect: Dialect = DUCKDB

    def __init__(self, relations: Mapping[str, Callable[[], pl.DataFrame]]) -> None:
        self._builders = dict(relations)
        self._tables: dict[str, Any] = {}  # Arrow tables by relation name
        self._connection = duckdb.connect()
        self._known: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()

    def _table(self, relation: str) -> Any:
        with self._lock:
            if relation not in self._tables:
                self._tables[relation] = self._builders[relation]().to_arrow()
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


@lru_cache(maxsize=2)
def engine_for(facts: Any) -> Engine:
    """The engine over `facts` (a `tandem.analytics.frames.Facts`), kept while it is current."""
    from tandem.analytics.relations import relations

    return Engine({name: (lambda b=build: b(facts)) for name, (build, _) in relations().items()})
