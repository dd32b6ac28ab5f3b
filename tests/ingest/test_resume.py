"""A real `python -m tandem import` killed with SIGKILL mid-way, then resumed (in other chunk
sizes): every row once, and the in-file duplicate check still sees the rows before the kill."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from tandem.ingest import deferred
from tandem.ingest.store import ACTIVITIES, insert_new_activities

ROWS = 10_000


@pytest.fixture
def target(migrated_database):
    """A fresh migrated database the subprocess can see (not the test's rolled-back one)."""
    return migrated_database("ingest_resume")


def _tandem(url, *args, **settings):
    env = {**os.environ, "TANDEM_DATABASE_URL": url, "COLUMNS": "200"}
    env.update({f"TANDEM_{k.upper()}": str(v) for k, v in settings.items()})
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


# A scoring model without decay or caps: a contact's score is exactly its number of web visits,
# so an activity stored or scored twice (or lost) shows in the total.
COUNTING_MODEL = """\
name: visits
version: 1
fit_rules: []
behaviour_rules:
  - {id: visit, activity_type: web_visit, points: 1}
mql: {total: 100000}
grades: {A: 300, B: 200, C: 100}
"""
PEOPLE = 120


def _activate_counting_model(eng):
    from sqlalchemy.orm import Session

    from tandem.auth.models import User
    from tandem.auth.roles import Role
    from tandem.db import utcnow
    from tandem.scoring import approval

    with Session(eng) as session:
        marketer = User(
            email="m@example.com", name="M", role=Role.MARKETER.value, password_hash="x"
        )
        manager = User(
            email="s@example.com", name="S", role=Role.SALES_MANAGER.value, password_hash="x"
        )
        session.add_all([marketer, manager])
        session.flush()
        version = approval.propose(
            db_session=session, user=marketer, yaml_text=COUNTING_MODEL, now=utcnow()
        )
        approval.approve(db_session=session, user=manager, version_id=version.id, now=utcnow())
        session.commit()


def _wait_for_checkpoint(eng, process, line):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with eng.connect() as conn:
            row = conn.execute(text("SELECT checkpoint_line FROM import_jobs")).first()
        if row is not None and row.checkpoint_line > line:
            return row.checkpoint_line
        time.sleep(0.02)
    raise AssertionError(f"no checkpoint past line {line}: {process.poll()=}")


@pytest.mark.parametrize("bulk", [False, True], ids=["indexed", "bulk-load"])
def test_sigkill_mid_activities_import_then_resume_stores_and_scores_each_once(
    target, tmp_path, bulk
):
    """Killed mid-way (chunks of 50: contact by contact scoring), resumed in the default chunk
    size (a bulk rescore per chunk): every activity once, every score its contact's visits.
    As a bulk load (`deferred`): the kill leaves the indexes dropped and the guard up, which
    refuses other writers until the resumed job has built them again."""
    url, eng = target
    settings = {"ingest_bulk_min_rows": 1_000} if bulk else {}
    _activate_counting_model(eng)
    path = tmp_path / "activities.csv"
    visits = [0] * PEOPLE
    with path.open("w") as handle:
        handle.write("contact_email,type,occurred_at,url\n")
        for i in range(ROWS):
            person, kind = i % PEOPLE, "web_visit" if i % 4 else "content_download"
            visits[person] += kind == "web_visit"
            minute = f"{i // 60 % 60:02d}:{i % 60:02d}"
            handle.write(f"p{person}@acme.com,{kind},2024-03-01 10:{minute},https://t.io/{i}\n")
    process = _tandem(url, "import", "activities", str(path), "--chunk-rows", "50", **settings)
    _wait_for_checkpoint(eng, process, 1_000)
    assert process.poll() is None, "the import finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with eng.connect() as conn:
        job = conn.execute(text("SELECT id, status, checkpoint_line FROM import_jobs")).one()
        stored = conn.scalar(text("SELECT count(*) FROM activities"))
        scored = conn.scalar(text("SELECT coalesce(sum(total), 0) FROM contact_scores"))
    assert job.status == "running" and stored == job.checkpoint_line - 1 < ROWS
    done_visits = sum(1 for i in range(stored) if i % 4)  # committed chunks were scored with them
    assert scored == done_visits
    with eng.connect() as conn:
        dropped = len(deferred.missing(conn, ACTIVITIES))
        assert dropped == (len(deferred.deferrable(ACTIVITIES)) if bulk else 0)
    if bulk:
        refused = pytest.raises(Exception, match=f"bulk loaded by import job {job.id}")
        with refused, eng.begin() as conn:  # the driver's own error class
            insert_new_activities(conn, [_outside_activity(conn)])
    resumed = _tandem(url, "import", "resume", str(job.id), **settings)
    output = resumed.communicate(timeout=180)[0]
    assert resumed.returncode == 0, output
    with eng.connect() as conn:
        final = conn.execute(text("SELECT * FROM import_jobs")).mappings().one()
        assert conn.scalar(text("SELECT count(*) FROM activities")) == ROWS
        keys = conn.scalar(text("SELECT count(DISTINCT idempotency_key) FROM activities"))
        assert keys == ROWS
        assert conn.scalar(text("SELECT count(*) FROM contacts")) == PEOPLE
        scores = dict(
            conn.execute(
                text(
                    "SELECT c.email, s.total FROM contact_scores s"
                    " JOIN contacts c ON c.id = s.contact_id"
                )
            ).all()
        )
    assert (final["status"], final["rows_new"], final["rows_quarantined"]) == ("done", ROWS, 0)
    assert scores == {f"p{i}@acme.com": n for i, n in enumerate(visits) if n}
    with eng.begin() as conn:
        assert deferred.missing(conn, ACTIVITIES) == []
        assert list(insert_new_activities(conn, [_outside_activity(conn)])) == ["outside"]


def _outside_activity(conn):
    """An activity another writer (the event API) would insert."""
    at = datetime(2024, 3, 2, tzinfo=UTC)
    contact = conn.scalar(text("SELECT min(id) FROM contacts"))
    return {"idempotency_key": "outside", "contact_id": contact, "type": "meeting",
            "occurred_at": at, "received_at": at, "properties": {}}  # fmt: skip
