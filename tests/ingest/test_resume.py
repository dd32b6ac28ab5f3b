"""A real `python -m tandem import` killed with SIGKILL mid-way, then resumed (in other chunk
sizes): every row once, and the in-file duplicate check still sees the rows before the kill."""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from tandem.db import make_engine
from tandem.migrate import upgrade

ROWS = 10_000


@pytest.fixture
def target(engine, tmp_path):
    """A fresh migrated database the subprocess can see (not the test's rolled-back one)."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'resume.db'}"
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("DROP DATABASE IF EXISTS ingest_resume")
            conn.exec_driver_sql("CREATE DATABASE ingest_resume")
        url = engine.url.set(database="ingest_resume").render_as_string(hide_password=False)
    eng = make_engine(url)
    upgrade(eng)
    yield url, eng
    eng.dispose()


def _tandem(url, *args):
    env = {**os.environ, "TANDEM_DATABASE_URL": url, "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "tandem", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigkill_then_resume_imports_every_row_exactly_once(target, tmp_path):
    url, eng = target
    path = tmp_path / "contacts.csv"
    with path.open("w") as handle:
        handle.write("email,first_name,lifecycle_stage,created_at\n")
        for i in range(ROWS):
            handle.write(f"p{i}@acme{i % 50}.com,P{i},{'lead' if i % 3 else 'mql'},2024-01-01\n")
        handle.write("P3@acme3.com,again,lead,2024-01-01\np7@acme7.com,again,lead,2024-01-01\n")
    process = _tandem(url, "import", "contacts", str(path), "--chunk-rows", "50")
    checkpoint = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with eng.connect() as conn:
            row = conn.execute(text("SELECT id, checkpoint_line, status FROM import_jobs")).first()
        if row is not None and row.checkpoint_line > 500:
            checkpoint = row.checkpoint_line
            break
        time.sleep(0.02)
    assert process.poll() is None, "the import finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with eng.connect() as conn:
        job = conn.execute(text("SELECT id, status, checkpoint_line FROM import_jobs")).one()
        stored = conn.scalar(text("SELECT count(*) FROM contacts"))
    assert job.status == "running" and checkpoint <= job.checkpoint_line < ROWS + 1
    assert stored == job.checkpoint_line - 1  # committed chunks only, checkpoint with them
    resumed = _tandem(url, "import", "resume", str(job.id))
    output = resumed.communicate(timeout=120)[0]
    assert resumed.returncode == 0, output
    with eng.connect() as conn:
        from tandem.contacts.models import Contact
        from tandem.lifecycle.models import StageTransition

        assert conn.scalar(select(func.count()).select_from(Contact)) == ROWS
        assert conn.scalar(select(func.count(func.distinct(Contact.email)))) == ROWS
        assert conn.scalar(select(func.count()).select_from(StageTransition)) == ROWS
        final = conn.execute(text("SELECT * FROM import_jobs")).mappings().one()
    assert (final["status"], final["rows_total"], final["rows_new"]) == ("done", ROWS + 2, ROWS)
    assert final["rows_quarantined"] == 2 and f"{ROWS:,} new" in output
    assert f"contacts.csv:{ROWS + 2}: email: duplicate of line 5 (same email)" in output
