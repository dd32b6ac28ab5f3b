"""The columnar reader returns exactly what the DB-API path does, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
)

from tandem import columnar
from tandem.attribution.query import TS, read_frame, timestamp, typed
from tandem.columnar import source
from tandem.db import UTCDateTime, make_engine

metadata = MetaData()
sample = Table(
    "columnar_sample",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("big", BigInteger),
    Column("name", String),
    Column("ratio", Float),
    Column("flag", Boolean),
    Column("at", UTCDateTime),
)
SCHEMA = {
    "id": pl.Int64,
    "big": pl.Int64,
    "name": pl.String,
    "ratio": pl.Float64,
    "flag": pl.Boolean,
    "at": TS,
}


@pytest.fixture
def store(fresh_database: Callable[[str], str], monkeypatch) -> Iterator[Engine]:
    """A committed table other connections (and the reader's child) see; read in columns
    however small (the tests' databases are far below the size where that starts to pay)."""
    monkeypatch.setattr(source, "SMALL_SQLITE_BYTES", 0)
    engine = make_engine(fresh_database("columnar"))
    metadata.create_all(engine)
    yield engine
    engine.dispose()


moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.astimezone(UTC))
texts = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
rows = st.lists(
    st.fixed_dictionaries(
        {
            "big": st.none() | st.integers(-(2**63), 2**63 - 1),
            "name": st.none() | texts,
            "ratio": st.none() | st.floats(allow_nan=False, allow_infinity=False, width=64),
            "flag": st.none() | st.booleans(),
            "at": st.none() | moments,
        }
    ),
    max_size=40,
)


def _query(connection):
    return select(
        sample.c.id,
        sample.c.big,
        sample.c.name,
        sample.c.ratio,
        sample.c.flag,
        timestamp(connection, sample.c.at),
    ).order_by(sample.c.id)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows)
def test_arrow_read_equals_the_db_api_read(store: Engine, rows: list[dict]) -> None:
    with store.begin() as conn:
        conn.execute(delete(sample))
        if rows:
            conn.execute(insert(sample), rows)
    with store.connect() as conn:
        query = _query(conn)
        assert source.separate_read_ok(conn, query)
        raw = {n: (pl.String if conn.dialect.name == "sqlite" else pl.Int64) if t == TS else t
               for n, t in SCHEMA.items()}  # fmt: skip
        by_rows = typed(columnar.read_rows(conn, query, raw), SCHEMA)
        by_arrow = read_frame(conn, query, SCHEMA)
        in_parts = read_frame(conn, query, SCHEMA, split_by=sample.c.id)
    assert by_arrow.schema == by_rows.schema
    assert by_arrow.equals(by_rows)
    assert in_parts.equals(by_rows)
    assert by_arrow.height == len(rows)
    # And both are what was stored.
    assert by_arrow["big"].to_list() == [r["big"] for r in rows]
    assert by_arrow["name"].to_list() == [r["name"] for r in rows]
    assert by_arrow["at"].to_list() == [r["at"] for r in rows]


def test_rows_the_transaction_wrote_are_read_on_its_own_connection(store: Engine) -> None:
    with store.connect() as conn:
        outer = conn.begin()
        conn.execute(insert(sample), [{"big": 7, "name": "unsaved"}])
        query = _query(conn)
        assert not source.separate_read_ok(conn, query)
        frame = read_frame(conn, query, SCHEMA)
        assert frame["name"].to_list() == ["unsaved"]
        outer.rollback()


def test_a_small_sqlite_file_is_read_through_the_db_api(store: Engine, monkeypatch) -> None:
    monkeypatch.setattr(source, "SMALL_SQLITE_BYTES", 2**40)
    with store.connect() as conn:
        if conn.dialect.name == "sqlite":
            with pytest.raises(columnar.ColumnarUnavailable):
                columnar.arrow_batches(conn, _query(conn), SCHEMA)
        assert read_frame(conn, _query(conn), SCHEMA).height == 0


def test_the_arrow_path_is_taken_for_committed_rows(store: Engine) -> None:
    with store.begin() as conn:
        conn.execute(insert(sample), [{"big": 2**62, "name": "ü"}])
    with store.connect() as conn:
        batches = list(columnar.arrow_batches(conn, _query(conn), SCHEMA))
    assert sum(b.num_rows for b in batches) == 1
    assert batches[0].column(1).to_pylist() == [2**62]


def test_a_split_read_runs_one_reader_per_key_range(store: Engine, monkeypatch) -> None:
    with store.begin() as conn:
        conn.execute(insert(sample), [{"big": i, "name": f"n{i}"} for i in range(100)])
    monkeypatch.setattr(source, "readers", lambda _connection: 3)
    queries: list = []
    real = source.prepare

    def counted(connection, query, schema):
        queries.append(query)
        return real(connection, query, schema)

    monkeypatch.setattr(source, "prepare", counted)
    with store.connect() as conn:
        frame = read_frame(conn, _query(conn), SCHEMA, split_by=sample.c.id)
    assert len(queries) == 3  # three ranges, read at once (two readers: one waits)
    assert frame["big"].to_list() == list(range(100))  # in key order, each row once


def test_a_stream_closed_before_its_end_gives_its_reader_back(store: Engine) -> None:
    from tandem.columnar import sqlite_worker

    with store.begin() as conn:
        conn.execute(insert(sample), [{"big": i} for i in range(10)])
    with store.connect() as conn:
        if conn.dialect.name != "sqlite":
            pytest.skip("the reader children are SQLite's")
        stream = columnar.arrow_batches(conn, _query(conn), SCHEMA)
        assert any(r.lock.locked() for r in sqlite_worker._readers)
        stream.close()  # never read: the child is stopped, its lock released
        assert not any(r.lock.locked() for r in sqlite_worker._readers)
        assert read_frame(conn, _query(conn), SCHEMA)["big"].to_list() == list(range(10))
