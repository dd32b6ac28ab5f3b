"""A big first load of activities drops the secondary indexes with its first chunk and builds
them again at the end; the unique idempotency key stays, so nothing is stored twice."""

import os

from tandem.activities.models import Activity
from tandem.ingest import deferred, jobs, setsql
from tandem.ingest.store import ACTIVITIES

HEADER = "contact_email,type,occurred_at,url\n"


def _rows(n, start=0):
    return "".join(
        f"p{i % 7}@acme.io,web_visit,2024-01-{1 + i % 28:02d}T10:00:00Z,https://acme.io/{i}\n"
        for i in range(start, start + n)
    )


def test_big_load_defers_the_secondary_indexes(db, run_import, count, monkeypatch):
    monkeypatch.setattr(deferred, "BULK_MIN_ROWS", 20)
    dropped = []
    drop = deferred.drop
    monkeypatch.setattr(deferred, "drop", lambda c, t: (dropped.append(t.name), drop(c, t)))
    job = run_import("activities", HEADER + _rows(60), chunk_rows=25)
    assert dropped == ["activities"]
    assert (job["status"], job["rows_new"]) == ("done", 60)
    assert deferred.missing(db.connection(), ACTIVITIES) == []
    # Now the table is as big as the file: the same file again is no bulk load, all unchanged.
    again = run_import("activities", HEADER + _rows(60), chunk_rows=25)
    assert dropped == ["activities"]
    assert (again["rows_new"], again["rows_unchanged"]) == (0, 60)
    assert count(Activity) == 60


def test_small_load_keeps_the_indexes_and_rebuilds_missing_ones(db, run_import, count):
    connection = db.connection()
    deferred.drop(connection, ACTIVITIES)  # as a bulk job killed outright leaves them
    assert len(deferred.missing(connection, ACTIVITIES)) == 3
    job = run_import("activities", HEADER + _rows(30), chunk_rows=jobs.CHUNK_ROWS)
    assert (job["status"], job["rows_new"]) == ("done", 30)
    assert deferred.missing(connection, ACTIVITIES) == []
    assert count(Activity) == 30


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
