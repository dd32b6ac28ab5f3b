"""A full rescore reads every committed activity as columns on SQLite (`tandem.columnar`): the
same frame as the row-by-row read, including filter columns empty in the first rows and text
later (the driver types a column from what it has seen)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tandem import columnar
from tandem.scoring import store
from tandem.scoring.loader import parse_model
from tests import factories as f

from .store_support import SMALL

MODEL = (
    SMALL.replace("version: {version}", "version: 1")
    .replace("{vp}", "20")
    .replace("{{", "{")
    .replace("}}", "}")
)


@pytest.fixture
def committed(engine, migrated_database):
    """A committed SQLite file with 300 activities whose url is null for the first 200."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the columnar read is SQLite's (PostgreSQL reads rows: issue 22)")
    _, made = migrated_database("columnar")
    with Session(made) as db:
        people = [f.contact(db) for _ in range(3)]
        start = datetime(2026, 3, 1, tzinfo=UTC)
        for i in range(300):
            url = None if i < 200 else f"https://tandem.example/pricing/{i}"
            kind = "page_view" if i % 2 else "demo_request"
            f.activity(db, people[i % 3], kind, start + timedelta(minutes=i), url=url)
        db.commit()
    return made


def test_the_columnar_read_equals_the_row_read(committed, monkeypatch):
    model, issues = parse_model(MODEL, filename="m.yaml")
    assert model is not None, issues
    with committed.connect() as connection:
        monkeypatch.setattr(columnar, "COLUMNAR_MIN_ROWS", 10**9)
        rows = store.activities_frame(connection, model)
        assert not columnar.usable(connection, "activities")
        monkeypatch.setattr(columnar, "COLUMNAR_MIN_ROWS", 300)
        assert columnar.usable(connection, "activities")
        columns = store.activities_frame(connection, model)
    assert rows.height == 300 and rows["url"].null_count() == 200
    assert columns.schema == rows.schema
    assert columns.sort(columns.columns).equals(rows.sort(rows.columns))


def test_a_transaction_with_its_own_new_rows_reads_them_through_itself(committed, monkeypatch):
    """Rows the caller's transaction inserted are not committed: the columnar read would miss
    them, so it does not apply and the rows come through the caller's connection."""
    monkeypatch.setattr(columnar, "COLUMNAR_MIN_ROWS", 1)
    model, _ = parse_model(MODEL, filename="m.yaml")
    with Session(committed) as db:
        f.activity(db, f.contact(db), "demo_request", datetime(2026, 4, 1, tzinfo=UTC))
        db.flush()
        assert not columnar.usable(db.connection(), "activities")
        assert store.activities_frame(db.connection(), model).height == 301
        db.rollback()
