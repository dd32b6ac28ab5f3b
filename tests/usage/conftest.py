"""The import helpers of the ingest tests, for usage, entitlements and subscriptions."""

from tests.ingest.conftest import count, run_import

__all__ = ["count", "run_import"]
