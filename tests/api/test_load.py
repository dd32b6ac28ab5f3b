"""bench/load_bench.py, small: `tandem serve --workers 2` on PostgreSQL under a bounded load
from a second process (asyncio + httpx); every event acknowledged is stored, no errors."""

import json
import subprocess
import sys

import pytest
from sqlalchemy import make_url

from tandem.db import make_engine


@pytest.mark.postgres
def test_bounded_load_on_several_workers_stores_every_event(postgres_url, repo_root):
    admin = make_engine(postgres_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS load_test")
        conn.exec_driver_sql("CREATE DATABASE load_test")
    admin.dispose()
    url = make_url(postgres_url).set(database="load_test").render_as_string(hide_password=False)
    command = [sys.executable, str(repo_root / "bench" / "load_bench.py"), "--database-url", url]
    command += ["--workers", "2", "--events", "200", "--concurrency", "8", "--duration", "90"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0 and result["ok"], (result, done.stderr[-2000:])
    assert result["errors"] == 0
    assert result["events_sent"] == result["events_acknowledged"] == result["events_stored"] == 200
    assert result["event_p50_ms"] <= result["event_p99_ms"]
    assert result["read_p50_ms"] is not None
