"""Quarantine, never abort (issue 21: an employee count of 99999999999999999999 on line 5502
left 5,000 rows written and 999 good rows not imported; the error named line 5001, and resume
failed the same way). A row the database refuses is quarantined with its own line and reason;
the rest of the file goes in, on the row path and the frame path, and on resume.

The database's refusal here is a trigger standing in for any constraint: validation already
refuses the values that used to overflow (tests/ingest/test_bounds.py).
"""

import pytest
from sqlalchemy import func, select

from tandem.accounts.models import Account
from tandem.contacts.models import Contact
from tandem.ingest import jobs
from tandem.ingest.isolate import Part, row_caused
from tandem.ingest.mapping import profile_mapping

SQLITE_TRIGGER = """
CREATE TRIGGER poison_{table} BEFORE INSERT ON {table}
WHEN substr(NEW.{column}, 1, 6) = 'poison'
BEGIN SELECT RAISE(ABORT, 'poisoned row refused'); END
"""
POSTGRES_TRIGGER = """
CREATE OR REPLACE FUNCTION poison_{table}() RETURNS trigger AS $$
BEGIN
  IF left(NEW.{column}, 6) = 'poison' THEN
    RAISE EXCEPTION 'poisoned row refused' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER poison_{table} BEFORE INSERT ON {table}
FOR EACH ROW EXECUTE FUNCTION poison_{table}();
"""


@pytest.fixture
def poison(db):
    """`poison(table, column)`: the database refuses rows whose column starts with poison."""
    made = []

    def install(table: str, column: str) -> None:
        sqlite = db.bind.dialect.name == "sqlite"
        ddl = (SQLITE_TRIGGER if sqlite else POSTGRES_TRIGGER).format(table=table, column=column)
        db.connection().exec_driver_sql(ddl)
        made.append(table)

    yield install
    for table in made:  # SQLite may have committed the DDL: take it down either way
        if db.bind.dialect.name == "sqlite":
            db.connection().exec_driver_sql(f"DROP TRIGGER IF EXISTS poison_{table}")
        else:
            db.connection().exec_driver_sql(f"DROP TRIGGER IF EXISTS poison_{table} ON {table}")


def _accounts(n: int, poisoned: set[int]) -> str:
    rows = [
        f"{'poison' if i in poisoned else 'acct'}-{i}.example,"
        f"{'poison' if i in poisoned else 'Acct'} {i},{i}"
        for i in range(1, n + 1)
    ]
    return "domain,name,employees\n" + "\n".join(rows) + "\n"


def _errors(db, job):
    return [
        (e["line"], e["reason"]) for e in jobs.list_errors(jobs.nested(db.connection()), job["id"])
    ]


def test_the_row_path_quarantines_the_refused_row_with_its_line(db, run_import, poison):
    poison("accounts", "name")
    job = run_import("accounts", _accounts(40, {12, 31}), chunk_rows=10)
    assert (job["status"], job["rows_total"], job["rows_new"]) == ("done", 40, 38)
    assert job["rows_quarantined"] == 2 and job["checkpoint_line"] == 41
    errors = _errors(db, job)
    assert [line for line, _ in errors] == [13, 32]  # the header is line 1
    assert all("poisoned row refused" in why for _, why in errors)
    assert db.scalar(select(func.count()).select_from(Account)) == 38


def test_the_frame_path_quarantines_the_refused_row_with_its_line(db, run_import, poison):
    poison("contacts", "email")
    rows = [f"{'poison' if i == 77 else 'p'}{i}@acme.example,P{i}" for i in range(1, 121)]
    job = run_import("contacts", "email,first_name\n" + "\n".join(rows) + "\n", chunk_rows=50)
    assert (job["status"], job["rows_new"], job["rows_quarantined"]) == ("done", 119, 1)
    assert [line for line, _ in _errors(db, job)] == [78]
    assert db.scalar(select(func.count()).select_from(Contact)) == 119


def test_resume_after_an_interruption_goes_past_the_refused_row(db, poison, tmp_path):
    poison("accounts", "name")
    path = tmp_path / "accounts.csv"
    path.write_text(_accounts(30, {25}), encoding="utf-8")
    tx = jobs.nested(db.connection())

    job_id = jobs.create_job(
        tx,
        path=path,
        kind="accounts",
        profile="generic",
        mapping=profile_mapping("generic", "accounts"),
    )

    def killed(done: int, size: int) -> None:
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        jobs.run_job(tx, job_id, chunk_rows=10, on_progress=killed)
    stopped = jobs.get_job(tx, job_id)
    assert (stopped["status"], stopped["checkpoint_line"]) == ("failed", 11)
    job = jobs.resume_job(tx, job_id, chunk_rows=10)
    assert (job["status"], job["rows_total"], job["rows_new"]) == ("done", 30, 29)
    assert [line for line, _ in _errors(db, job)] == [26]


def test_what_counts_as_a_rows_fault():
    from sqlalchemy import exc

    assert row_caused(exc.IntegrityError("INSERT", {}, Exception("unique")))
    assert row_caused(exc.DataError("INSERT", {}, Exception("numeric field overflow")))
    assert not row_caused(exc.OperationalError("INSERT", {}, Exception("database is locked")))
    assert not row_caused(RuntimeError("a bug"))


def test_halves_split_at_the_middle_record_and_keep_the_checkpoint():
    part = Part(lines=(2, 3, 4, 5, 6, 7), records=(2, 4, 5, 7), last_line=8)
    first, second = part.halves()
    assert (first.lines, first.records, first.last_line) == ((2, 3, 4), (2, 4), 4)
    assert (second.lines, second.records, second.last_line) == ((5, 6, 7), (5, 7), 8)
