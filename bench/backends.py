"""Bench plumbing: run a benchmark on the databases asked for (SQLite at a given URL, PostgreSQL
on a throwaway cluster stopped afterwards whatever happens), and run a step in a child process."""

from __future__ import annotations

import json
import subprocess
import sys
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


def run_step(script: str, step: str, *args: str) -> dict[str, Any]:
    """Run `script --step STEP ARGS...` in a child process (its own peak RSS); the JSON object
    on its last line of output."""
    done = subprocess.run(
        [sys.executable, script, "--step", step, *args], capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"{step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
