"""Run a whole computation on the analytics engine chosen at start, or say it failed.

Every full recompute that can run where the data lives (lead rescore, account rescore, health,
backtest) goes through `on_spark`: the computation gets an engine factory bound to the
process's Spark session, and any failure on the way (an executor lost, the engine unreachable,
a pattern Java cannot compile) comes back as one `EngineFailed` naming the setting, raised
before the caller has written anything, so the stored results of the last good run stay.
"""

from collections.abc import Callable, Mapping
from typing import TypeVar

import polars as pl

from tandem.metrics import engine as engine_module
from tandem.metrics.engine import Engine

#: Builds an engine over named relations (`Engine`, or a `SparkEngine` bound to its session).
EngineFactory = Callable[[Mapping[str, Callable[[], pl.DataFrame]]], Engine]
T = TypeVar("T")


class EngineFailed(RuntimeError):
    """The analytics engine failed during a run; nothing of the run was stored."""


def spark_chosen() -> bool:
    """Whether this process runs its full recomputes on Spark (`TANDEM_ANALYTICS_ENGINE`)."""
    return engine_module.chosen()["engine"] == "spark"


def on_spark(what: str, kept: str, compute: Callable[[EngineFactory], T]) -> T:
    """`compute` given Spark engines; a failure raised as `EngineFailed` saying `what` failed
    and what `kept` stays stored."""
    from tandem.engines.spark import SparkEngine, session

    master = engine_module.chosen()["spark_master"]
    try:
        root = session(master)
        return compute(lambda relations: SparkEngine(relations, root))
    except Exception as exc:  # Py4J and Spark raise many kinds; each ends the run the same way
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise EngineFailed(
            f"{what} on Spark (TANDEM_SPARK_MASTER={master}) failed: {reason}; "
            f"nothing was stored, {kept}"
        ) from exc
