"""Every figure of the metric registry is the same number on DuckDB and on a real Apache Spark.

One local Spark session (``local[2]``, a few shuffle partitions) for the whole run; the same
generated facts (`tandem.engines.synthetic`) registered on both engines. Every metric the
registry lists, with every dimension it breaks down and filters by, must agree within float
tolerance: value, population, numerator, unknown, implied and p90.
"""

import math
from datetime import date

import pytest

from tandem.engines.synthetic import AS_OF, facts
from tandem.metrics import service
from tandem.metrics.engine import Engine, relations_of
from tandem.metrics.spec import Window

pytestmark = pytest.mark.spark

WINDOW = Window(date(2025, 6, 1), date(2026, 12, 1), AS_OF)


@pytest.fixture(scope="module")
def engines(spark):
    from tandem.engines.spark import SparkEngine

    built = facts(3_000, seed=11)
    return Engine(relations_of(built)), SparkEngine(relations_of(built), spark)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def _figures_equal(a, b) -> None:
    for field in ("value", "rows", "numerator", "unknown", "implied", "p90"):
        left, right = getattr(a, field), getattr(b, field)
        assert _same(left, right), f"{a.metric.name} {field}: duckdb {left} spark {right}"


def _groups() -> dict[tuple[str, tuple[str, ...]], list[str]]:
    """Metrics by population and dimensions: each group is one statement per question."""
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for name, m in service.registry().items():
        groups.setdefault((m.population, m.dimensions), []).append(name)
    return groups


def test_every_metric_is_the_same_number_on_both_engines(engines):
    duck, spark = engines
    names = list(service.registry())
    assert len(names) >= 40  # the whole registry, not a sample
    left, right = service.figures(duck, names, WINDOW), service.figures(spark, names, WINDOW)
    for name in names:
        _figures_equal(left[name], right[name])
    # The facts exercise every measure: nothing is trivially zero on both sides.
    assert all(left[n].rows for n in ("reached_mql", "deals_won", "handed_off", "new_mrr"))
    assert left["sales_cycle_days"].value and left["revenue_won"].unknown


@pytest.mark.parametrize("group", list(_groups()), ids=lambda g: f"{g[0]}-{len(g[1])}dims")
def test_every_breakdown_and_filter_agree(engines, group):
    """Broken down by each dimension, filtered by the one before it (so every dimension is
    both a breakdown and a filter once): one statement per dimension on each engine."""
    duck, spark = engines
    population, dimensions = group
    names = _groups()[group]
    for before, dimension in zip((dimensions[-1], *dimensions), dimensions, strict=False):
        filtered = {before: duck.known(population, before)[0]} if before != dimension else {}
        left = service.breakdowns(duck, names, WINDOW, dimension, filtered)
        right = service.breakdowns(spark, names, WINDOW, dimension, filtered, strict=False)
        assert any(left.values()), f"{population} by {dimension} has no rows"
        for name in names:
            assert [p.value for p in left[name]] == [p.value for p in right[name]], name
            for a, b in zip(left[name], right[name], strict=True):
                for field in ("figure", "rows", "numerator", "unknown"):
                    l_value, r_value = getattr(a, field), getattr(b, field)
                    assert _same(l_value, r_value), f"{name} by {dimension}={a.value} {field}"


def test_the_values_of_a_dimension_are_the_same(engines):
    duck, spark = engines
    assert spark.known("deals", "team") == duck.known("deals", "team") == ["north", "south"]


def test_the_drill_down_lists_the_same_records(engines):
    duck, spark = engines
    for name in ("deals_won", "speed_to_lead_hours", "conversion_mql_to_sql"):
        left = service.records(duck, name, WINDOW, limit=None)
        right = service.records(spark, name, WINDOW, limit=None)
        assert left.total == right.total == len(left.rows) == len(right.rows)
        assert sorted(r[0] for r in left.rows) == sorted(r[0] for r in right.rows)
