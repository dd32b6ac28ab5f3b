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


#: What a failed run leaves: the stored results of the last good one.
KEPT = "nothing was stored, the {} of the last good run stay"


class EngineFailed(RuntimeError):
    """The analytics engine failed during a run; nothing of the run was stored."""


def failed(run: str, master: str, exc: Exception, after: str) -> EngineFailed:
    """The error ending `run` on Spark: the engine's first line, then `after` (what stays)."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return EngineFailed(f"{run} on Spark (TANDEM_SPARK_MASTER={master}) failed: {reason}; {after}")


def spark_chosen() -> bool:
    """Whether this process runs its full recomputes on Spark (`TANDEM_ANALYTICS_ENGINE`)."""
    return engine_module.chosen()["engine"] == "spark"


def on_spark(what: str, after: str, compute: Callable[[EngineFactory], T]) -> T:
    """`compute` given Spark engines; a failure raised as `EngineFailed` saying `what` failed,
    then `after` (what stays stored, e.g. ``KEPT.format("scores")``)."""
    from tandem.engines.spark import SparkEngine, session

    master = engine_module.chosen()["spark_master"]
    try:
        root = session(master)
        return compute(lambda relations: SparkEngine(relations, root))
    except Exception as exc:  # Py4J and Spark raise many kinds; each ends the run the same way
        raise failed(what, master, exc, after) from exc
