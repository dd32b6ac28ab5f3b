"""Run a benchmark on the databases asked for: SQLite at a given URL, PostgreSQL on a throwaway
cluster (tandem.testing.postgres) stopped afterwards whatever happens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def each_backend(
    backend: str,
    sqlite_url: str,
    run: Callable[[str], dict[str, Any]],
    *,
    port: int,
    settings: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`run(url)` per backend (`sqlite`, `postgresql` or `both`), keyed by backend."""
    results: dict[str, Any] = {}
    if backend in ("sqlite", "both"):
        results["sqlite"] = run(sqlite_url)
    if backend in ("postgresql", "both"):
        from tandem.testing.postgres import start_cluster

        cluster = start_cluster(port=port, settings=settings)
        try:
            results["postgresql"] = run(cluster.url())
        finally:
            cluster.stop()
    return results
