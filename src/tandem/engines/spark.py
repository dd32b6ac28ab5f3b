"""The metric statements on Apache Spark: each relation an Arrow table turned into a temp view.

The SQL is the one `tandem.metrics.sql` writes for DuckDB, spelt for Spark by its `Dialect`
(a percentile); only the values that come back differ in type (Spark SQL reads ``1.5`` as a
decimal), so decimals are returned as floats and a figure is the same number on both engines.
One Spark session per process (a JVM), one child session per set of facts: temp views are
per child session, so two versions of the store never share a view name.
"""

import threading
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from tandem.metrics.engine import Engine
from tandem.metrics.sql import SPARK, Statement

#: Shuffle partitions: the relations are a few million rows at most, and Spark's default of
#: 200 partitions makes each small aggregate wait on 200 tasks.
SHUFFLE_PARTITIONS = 4


@cache
def session(master: str) -> Any:
    """The process's Spark session on `master` (started on first use; UTC throughout)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("tandem")
        .config("spark.sql.shuffle.partitions", str(SHUFFLE_PARTITIONS))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


def plain(value: Any) -> Any:
    """A value as DuckDB would return it: Spark's decimals as floats."""
    return float(value) if isinstance(value, Decimal) else value


class SparkEngine(Engine):
    """Answers the same statements as `Engine`, on Spark."""

    dialect = SPARK

    def __init__(
        self, relations: Mapping[str, Callable[[], pl.DataFrame | Path]], root: Any
    ) -> None:
        self._root = root
        self._views: set[str] = set()
        self._view_lock = threading.Lock()
        super().__init__(relations)

    def _open(self) -> Any:
        return self._root.newSession()

    def _register(self, relations: Sequence[str]) -> None:
        """Each relation as a temp view: a Parquet file read by the executors, a frame sent
        from here as Arrow."""
        with self._view_lock:
            for relation in relations:
                if relation in self._views:
                    continue
                built = self._builders[relation]()
                if isinstance(built, Path):
                    frame = self._connection.read.parquet(str(built))
                else:
                    frame = self._connection.createDataFrame(built.to_arrow())
                frame.createOrReplaceTempView(relation)
                self._views.add(relation)

    def arrow(self, relations: Sequence[str], statement: Statement) -> pa.Table:
        """The statement's result as an Arrow table, collected from the executors."""
        self._register(relations)
        return self._connection.sql(statement.text, args=list(statement.params)).toArrow()

    def _execute(self, relation: str, statement: Statement) -> tuple[list[str], list[tuple]]:
        self._register([relation])
        result = self._connection.sql(statement.text, args=list(statement.params))
        rows = [tuple(plain(v) for v in row) for row in result.collect()]
        return list(result.columns), rows
