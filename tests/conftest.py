"""Test fixtures: real SQLite and PostgreSQL databases, one rolled-back transaction per test.

PostgreSQL is a throwaway cluster started here (as the `postgres` user when run as root), unless
TANDEM_TEST_POSTGRES_URL points at a server. Where no PostgreSQL can be had, its tests are
skipped with a loud message, except under CI, where that is an error.
"""

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from tandem.capabilities import build_bus
from tandem.db import make_engine
from tandem.events import session_info
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.testing.postgres import PostgresUnavailable, start_cluster
from tandem.web.app import create_app

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL database for the whole run."""
    if url := os.environ.get("TANDEM_TEST_POSTGRES_URL"):
        yield url
        return
    try:
        cluster = start_cluster(port=54329 + os.getpid() % 500)
    except (PostgresUnavailable, OSError) as exc:
        if os.environ.get("CI"):
            raise
        sys.stderr.write(f"\n*** PostgreSQL tests SKIPPED: {exc} ***\n")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        yield cluster.url()
    finally:
        cluster.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database engine, once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'tandem.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def fresh_database(engine: Engine, tmp_path: Path) -> Callable[[str], str]:
    """Makes a new, empty database of the test's backend that other processes and connections
    see (unlike the test's rolled-back one): `make(name)` returns its URL."""

    def make(name: str) -> str:
        if engine.dialect.name == "sqlite":
            return f"sqlite:///{tmp_path / name}.db"
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        return engine.url.set(database=name).render_as_string(hide_password=False)

    return make


@pytest.fixture
def migrated_database(
    fresh_database: Callable[[str], str],
) -> Iterator[Callable[[str], tuple[str, Engine]]]:
    """`make(name)` -> (url, engine): a `fresh_database`, migrated; its engine is disposed
    after the test."""
    engines: list[Engine] = []

    def make(name: str) -> tuple[str, Engine]:
        url = fresh_database(name)
        engines.append(make_engine(url))
        upgrade(engines[-1])
        return url, engines[-1]

    yield make
    for made in engines:
        made.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """An ORM session whose commits become savepoints of the rolled-back transaction."""
    session = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info=dict(session_info(build_bus())),  # every capability's handlers, as the app's
    )
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        environment="test",
        sla_scheduler=False,
    )


@pytest.fixture
def app(settings: Settings, connection: Connection) -> FastAPI:
    """The app, its sessions bound to the test's rolled-back connection."""
    application = create_app(settings)
    application.state.session_factory = lambda: Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info=dict(session_info(application.state.events)),
    )
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
