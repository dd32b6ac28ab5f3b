"""A real `python -m tandem import user_usage` killed with SIGKILL mid-way, then resumed: every
fact stored once, the in-file duplicate still found."""

import os
import signal
import time

import pytest
from sqlalchemy import func, insert, select

from tandem.accounts.models import Account
from tandem.contacts.models import Contact
from tandem.ingest.jobs import JOBS
from tandem.usage.models import UserUsageFact
from tests.ingest.test_resume import _tandem

USERS, DAYS = 50, 100  # 5,000 facts


@pytest.fixture
def target(migrated_database):
    """A fresh migrated database the subprocess can see, with one account and its users."""
    url, eng = migrated_database("user_usage_resume")
    with eng.begin() as conn:
        account = conn.execute(
            insert(Account).values(name="Acme", domain="acme.com").returning(Account.id)
        ).scalar_one()
        conn.execute(
            insert(Contact),
            [{"email": f"u{i}@acme.com", "account_id": account} for i in range(USERS)],
        )
    return url, eng


def test_sigkill_mid_import_then_resume_stores_every_fact_once(target, tmp_path):
    url, eng = target
    path = tmp_path / "user_usage.csv"
    with path.open("w") as handle:
        handle.write("contact_email,metric,value,period_start\n")
        for day in range(DAYS):
            for i in range(USERS):
                day_of = f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}"
                handle.write(f"u{i}@acme.com,logins,{(i + day) % 7},{day_of}\n")
        handle.write("u3@acme.com,logins,9,2026-01-01\n")  # the same fact as line 5
    process = _tandem(url, "import", "user_usage", str(path), "--chunk-rows", "50")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with eng.connect() as conn:
            checkpoint = conn.scalar(select(JOBS.c.checkpoint_line))
        if checkpoint is not None and checkpoint > 500:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the import finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    with eng.connect() as conn:
        job = conn.execute(select(JOBS.c.id, JOBS.c.status, JOBS.c.checkpoint_line)).one()
        stored = conn.scalar(select(func.count()).select_from(UserUsageFact))
    assert job.status == "running" and stored == job.checkpoint_line - 1 < USERS * DAYS
    resumed = _tandem(url, "import", "resume", str(job.id))
    output = resumed.communicate(timeout=120)[0]
    assert resumed.returncode == 0, output
    with eng.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(UserUsageFact)) == USERS * DAYS
        total = conn.scalar(select(func.sum(UserUsageFact.value)))
        final = conn.execute(select(JOBS)).mappings().one()
    assert total == sum((i + d) % 7 for d in range(DAYS) for i in range(USERS))
    assert (final["status"], final["rows_new"], final["rows_quarantined"]) == ("done", 5000, 1)
    assert "user_usage.csv:5002: contact_email: duplicate of line 5" in output
