"""The scorecard fixtures (settings that re-read facts per request, signed-in clients)."""

from tests.analytics.conftest import as_cro, cro, settings  # noqa: F401
