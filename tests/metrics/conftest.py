"""The scorecard fixtures: settings that re-read the facts per request, signed-in clients."""

from tests.analytics.conftest import as_cro, cro, settings  # noqa: F401 (fixtures)
