"""The scorecard fixtures: settings that re-read the facts per request, signed-in clients;
the run's one Spark session (tests/metrics/test_engines*.py)."""

import pytest

from tests.analytics.conftest import as_cro, cro, settings  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def spark():
    """One real local Spark session for the whole run (two cores, few shuffle partitions)."""
    from tandem.engines.spark import session

    started = session("local[2]")
    started.sparkContext.setLogLevel("ERROR")
    started.conf.set("spark.sql.shuffle.partitions", "2")
    yield started
    started.stop()
