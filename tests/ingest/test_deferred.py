"""A big first load of activities drops the table's indexes (the unique idempotency key too)
with its first chunk and builds them again at the end. Meanwhile the job stores each key once
by itself (in-file check, keys stored before it) and a guard refuses everybody else's inserts."""

import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tandem.activities.models import Activity
from tandem.contacts.models import Contact
from tandem.ingest import deferred, jobs, setsql
from tandem.ingest.mapping import profile_mapping
from tandem.ingest.store import ACTIVITIES, insert_new_activities

HEADER = "contact_email,type,occurred_at,url\n"


def _rows(n, start=0):
    return "".join(
        f"p{i % 7}@acme.io,web_visit,2024-01-{1 + i % 28:02d}T10:00:00Z,https://acme.io/{i}\n"
        for i in range(start, start + n)
    )


def test_big_load_defers_every_index_and_stores_each_key_once(db, run_import, count, monkeypatch):
    first = run_import("activities", HEADER + _rows(10))  # stored before the big load
    assert first["rows_new"] == 10
    monkeypatch.setattr(deferred, "BULK_MIN_ROWS", 20)
    dropped = []
    drop = deferred.drop
    monkeypatch.setattr(deferred, "drop", lambda c, t: (dropped.append(t.name), drop(c, t)))
    # Lines 0-9 again (stored: unchanged), 10-59 new, and line 5 repeated (in-file duplicate).
    job = run_import("activities", HEADER + _rows(60) + _rows(1, 5), chunk_rows=25)
    assert dropped == ["activities"]
    assert (job["status"], job["rows_new"], job["rows_unchanged"]) == ("done", 50, 10)
    assert job["rows_quarantined"] == 1
    connection = db.connection()
    assert deferred.missing(connection, ACTIVITIES) == []  # unique key included
    assert _guard(connection) == 0
    assert count(Activity) == 60
    # Now the table is as big as the file: the same file again is no bulk load, all unchanged.
    again = run_import("activities", HEADER + _rows(60), chunk_rows=25)
    assert dropped == ["activities"]
    assert (again["rows_new"], again["rows_unchanged"]) == (0, 60)
    assert count(Activity) == 60


def test_a_big_load_keeps_the_partial_indexes_and_they_hold_its_rows(
    db, run_import, count, monkeypatch
):
    """The campaign and asset indexes cover only touches that name one: they stay through a
    big load (rebuilding one reads the whole table) and index exactly the rows it stored."""
    monkeypatch.setattr(deferred, "BULK_MIN_ROWS", 20)
    named = {"ix_activities_asset", "ix_activities_campaign"}
    assert named.isdisjoint(i.name for i in deferred.deferrable(ACTIVITIES))
    seen = []
    drop = deferred.drop

    def dropping(connection, table):
        drop(connection, table)
        seen.append(named <= deferred._index_names(connection, table.name))

    monkeypatch.setattr(deferred, "drop", dropping)
    lines = "".join(
        f"p{i % 7}@acme.io,web_visit,2024-02-{1 + i % 28:02d}T10:00:00Z,https://a.io/{i},"
        f"{'Spring' if i % 3 == 0 else ''}\n"
        for i in range(60)
    )
    job = run_import("activities", HEADER.strip() + ",campaign\n" + lines, chunk_rows=25)
    assert (job["status"], job["rows_new"], seen) == ("done", 60, [True])
    connection = db.connection()
    by_index = "SELECT count(*) FROM activities {} WHERE campaign_id IS NOT NULL"
    hint = "INDEXED BY ix_activities_campaign" if not _postgres(connection) else ""
    assert connection.scalar(text(by_index.format(hint))) == 20
    if not _postgres(connection):
        assert connection.scalar(text("PRAGMA integrity_check")) == "ok"


def test_a_killed_load_is_finished_by_the_next_import_in_the_same_mode(db, run_import, count):
    db.add(Contact(email="x@acme.io"))
    db.flush()
    connection = db.connection()
    deferred.drop(connection, ACTIVITIES)  # as a bulk job killed outright leaves the table
    deferred.lock_out(connection, ACTIVITIES, job_id=7)
    assert len(deferred.missing(connection, ACTIVITIES)) == len(deferred.deferrable(ACTIVITIES))
    keys = len(ACTIVITIES.foreign_key_constraints) if _postgres(connection) else 0
    assert len(deferred.missing_keys(connection, ACTIVITIES)) == keys  # PostgreSQL: all of them
    # Raised by the driver (the insert runs on the raw DB-API cursor).
    refused = pytest.raises(Exception, match="bulk loaded by import job 7")
    with refused, connection.begin_nested():
        insert_new_activities(connection, [_activity(connection, "k-outside")])
    job = run_import("activities", HEADER + _rows(30), chunk_rows=jobs.CHUNK_ROWS)
    assert (job["status"], job["rows_new"]) == ("done", 30)
    assert deferred.missing(connection, ACTIVITIES) == []
    assert deferred.missing_keys(connection, ACTIVITIES) == []
    assert _guard(connection) == 0
    assert count(Activity) == 30
    stored = insert_new_activities(connection, [_activity(connection, "k-after")])
    assert list(stored) == ["k-after"]


def test_others_are_refused_between_the_chunks_of_a_big_load(migrated_database, tmp_path):
    """On a database other connections see: after each chunk of a big load, an insert from
    another connection is refused with the job's name (the event API answers it 503); once
    the load has ended (unique key back), it is stored."""
    engine = migrated_database("deferred_guard")[1]
    path = tmp_path / "big.csv"
    path.write_text(HEADER + _rows(60), encoding="utf-8")
    mapping = profile_mapping("generic", "activities")
    job_id = jobs.create_job(
        engine.begin, path=path, kind="activities", profile="generic", mapping=mapping
    )
    answers = []

    def after_each_chunk(done, size):  # and once more when the job has ended
        with engine.connect() as other, other.begin() as transaction:
            try:
                insert_new_activities(other, [_activity(other, f"k-{len(answers)}")])
                answers.append("stored")
            except Exception as exc:  # the driver's own error class
                answers.append("refused" if deferred.is_refusal(exc) else repr(exc))
            transaction.rollback()

    job = jobs.run_job(
        engine.begin, job_id, chunk_rows=25, on_progress=after_each_chunk, bulk_min_rows=20
    )
    assert job["rows_new"] == 60
    assert answers == ["refused"] * 3 + ["stored"]  # chunks of 25, 25 and 10 rows; then open
    with engine.connect() as connection:
        assert deferred.missing(connection, ACTIVITIES) == []
        assert _guard(connection) == 0
        assert connection.scalar(text("SELECT count(*) FROM activities")) == 60


def test_what_a_foreign_key_would_have_done_during_a_load_is_done_when_it_comes_back(db):
    """A contact deleted while a load ran without foreign keys (PostgreSQL) takes its
    activities with it when the keys come back, as ON DELETE CASCADE would have; a deleted
    campaign leaves its touches without one (SET NULL). On SQLite the keys stay and do it."""
    from tandem.campaigns.models import Campaign

    kept, gone = Contact(email="kept@acme.io"), Contact(email="gone@acme.io")
    campaign = Campaign(name="Spring", channel="email", type="newsletter")
    db.add_all([kept, gone, campaign])
    db.flush()
    connection = db.connection()
    deferred.drop(connection, ACTIVITIES)
    at = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [(kept.id, "k-kept", campaign.id), (gone.id, "k-gone", None)]
    insert_new_activities(
        connection,
        [{"idempotency_key": key, "contact_id": contact, "type": "web_visit", "campaign_id": c,
          "occurred_at": at, "received_at": at, "properties": {}} for contact, key, c in rows],
    )  # fmt: skip
    connection.execute(text("DELETE FROM campaigns WHERE id = :i"), {"i": campaign.id})
    connection.execute(text("DELETE FROM contacts WHERE id = :i"), {"i": gone.id})
    restored = deferred.restore(connection, ACTIVITIES)
    assert deferred.missing(connection, ACTIVITIES) == []
    assert deferred.missing_keys(connection, ACTIVITIES) == []
    assert len(restored) == len(deferred.deferrable(ACTIVITIES)) + (
        len(ACTIVITIES.foreign_key_constraints) if _postgres(connection) else 0
    )
    left = connection.execute(text("SELECT idempotency_key, campaign_id FROM activities"))
    assert left.all() == [("k-kept", None)]
    # The keys are live again: a touch of a contact that does not exist is refused.
    with pytest.raises(Exception, match="(?i)foreign key"), connection.begin_nested():
        insert_new_activities(
            connection,
            [{"idempotency_key": "k-none", "contact_id": gone.id, "type": "web_visit",
              "occurred_at": at, "received_at": at, "properties": {}}],
        )  # fmt: skip


def _postgres(connection):
    return connection.dialect.name == "postgresql"


def _activity(connection, key):
    """An activity of the first contact (one must exist)."""
    contact = connection.scalar(text("SELECT min(id) FROM contacts"))
    at = datetime(2024, 1, 1, tzinfo=UTC)
    return {"idempotency_key": key, "contact_id": contact, "type": "web_visit",
            "occurred_at": at, "received_at": at, "properties": {}}  # fmt: skip


def _guard(connection):
    if connection.dialect.name == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = :n"
    else:
        sql = "SELECT count(*) FROM pg_trigger WHERE tgname = :n"
    return connection.scalar(text(sql), {"n": deferred.GUARD})


def test_an_importing_connection_caches_the_table_it_fills(db, run_import, monkeypatch):
    seen = []
    large = setsql.Sql.large_cache
    monkeypatch.setattr(
        setsql.Sql, "large_cache", lambda s, kib: (seen.append(kib), large(s, kib))[1]
    )
    job = run_import("activities", HEADER + _rows(30))
    assert job["status"] == "done"
    if db.get_bind().dialect.name == "sqlite":
        assert seen and set(seen) == {setsql.SQLITE_CACHE_KIB}  # 30 rows: the floor
    # 300 B a row, at least the floor, at most a quarter of the machine's memory.
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for rows in (3_000_000, 20_000_000):
        expected = max(setsql.SQLITE_CACHE_KIB, min(rows * 300 // 1024, ram // 4 // 1024))
        assert setsql.cache_kib_for(rows) == expected
    assert setsql.cache_kib_for(1_000) == setsql.SQLITE_CACHE_KIB


def test_the_event_api_answers_503_while_a_bulk_load_holds_the_guard(api_database):
    from fastapi.testclient import TestClient

    from tandem.settings import Settings
    from tandem.web.app import create_app

    url, engine, headers = api_database("deferred_api")
    event = {"contact_email": "a@acme.io", "type": "web_visit", "occurred_at": "2024-05-01"}
    with TestClient(create_app(Settings(database_url=url, environment="test"))) as client:
        with engine.begin() as connection:
            deferred.drop(connection, ACTIVITIES)
            deferred.lock_out(connection, ACTIVITIES, job_id=42)
        refused = client.post("/api/v1/activities", json=event, headers=headers)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "30"
        assert refused.json()["detail"].startswith(
            "activities are being bulk loaded by import job 42"
        )
        assert refused.headers["x-frame-options"] == "DENY"  # headers on every answer
        with engine.begin() as connection:
            deferred.restore(connection, ACTIVITIES)
        stored = client.post("/api/v1/activities", json=event, headers=headers)
        assert (stored.status_code, stored.json()["new"]) == (200, 1)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM activities")) == 1


def test_a_migrated_table_misses_no_index_expression_ones_included(db):
    # The search box's lower(name) indexes are expressions, which SQLAlchemy's SQLite inspector
    # does not list: read as missing, every small import of contacts would drop the indexes.
    connection = db.connection()
    table = Contact.__table__
    assert {"ix_contacts_first_name_lower", "ix_contacts_last_name_lower"} <= {
        i.name for i in deferred.deferrable(table)
    }
    assert deferred.missing(connection, table) == []
    assert not deferred.worth_it(connection, table, file_rows=10, min_rows=1000)
