"""Helpers: run an import job inside the test's rolled-back transaction."""

import pytest
from sqlalchemy import func, select

from tandem.events import bus_of
from tandem.ingest import jobs
from tandem.ingest.mapping import profile_mapping


@pytest.fixture
def run_import(db, tmp_path):
    """`run_import(kind, text_or_path, profile="generic", mapping=None)` -> the finished job."""
    counter = iter(range(1_000_000))

    def run(kind, file, profile="generic", mapping=None, chunk_rows=jobs.CHUNK_ROWS, **kw):
        if isinstance(file, str):
            path = tmp_path / f"import-{next(counter)}.csv"
            path.write_text(file, encoding="utf-8")
        else:
            path = file
        tx = jobs.nested(db.connection())
        chosen = mapping or profile_mapping(profile, kind)
        job_id = jobs.create_job(tx, path=path, kind=kind, profile=profile, mapping=chosen, **kw)
        try:
            return jobs.run_job(tx, job_id, chunk_rows=chunk_rows, bus=bus_of(db))
        except jobs.JobError:
            return jobs.get_job(tx, job_id)

    return run


@pytest.fixture
def count(db):
    def count_rows(model, *where):
        return db.scalar(select(func.count()).select_from(model).where(*where))

    return count_rows


@pytest.fixture
def api_database(migrated_database):
    """`make(name)` -> (url, engine, headers): a migrated database other connections see, with a
    marketer and the `Authorization` header of their API token."""
    from sqlalchemy.orm import Session

    from tandem.auth import service as auth
    from tandem.auth.models import User
    from tandem.auth.roles import Role

    def make(name):
        url, engine = migrated_database(name)
        with Session(engine) as session:
            user = User(
                email="m@example.com", name="M", role=Role.MARKETER.value, password_hash="-"
            )
            session.add(user)
            session.flush()
            plain = auth.create_api_token(db_session=session, user=user, name="t")[1]
            session.commit()
        return url, engine, {"Authorization": f"Bearer {plain}"}

    return make
