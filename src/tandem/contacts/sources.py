"""Where records come from (`models.RecordSource`): one source per import job, API token or the
demo, found or created here for the writers that stamp it on what they create."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from tandem.contacts.models import RecordSource, SourceKind
from tandem.db import utcnow

SOURCES = RecordSource.__table__


def source_id(
    connection: Connection,
    *,
    kind: SourceKind,
    name: str,
    job_id: int | None = None,
    token_id: int | None = None,
) -> int:
    """The id of the source with this kind and name (and job or token), created if new: a job
    or a token is one source for all its records."""
    where = [SOURCES.c.kind == kind.value, SOURCES.c.name == name[:100]]
    where.append(SOURCES.c.job_id == job_id if job_id is not None else SOURCES.c.job_id.is_(None))
    where.append(
        SOURCES.c.token_id == token_id if token_id is not None else SOURCES.c.token_id.is_(None)
    )
    found = connection.scalar(select(SOURCES.c.id).where(*where).order_by(SOURCES.c.id).limit(1))
    if found is not None:
        return int(found)
    values = {"kind": kind.value, "name": name[:100], "job_id": job_id, "token_id": token_id}
    inserted = connection.execute(SOURCES.insert().values(**values, created_at=utcnow()))
    return int(inserted.inserted_primary_key[0])


def import_source(connection: Connection, *, job_id: int, name: str) -> int:
    """The source of import job `job_id` (created named `name` when the job has none yet)."""
    found = connection.scalar(
        select(SOURCES.c.id)
        .where(SOURCES.c.kind == SourceKind.IMPORT.value, SOURCES.c.job_id == job_id)
        .order_by(SOURCES.c.id)
        .limit(1)
    )
    if found is not None:
        return int(found)
    return source_id(connection, kind=SourceKind.IMPORT, name=name, job_id=job_id)


def job_source_name(connection: Connection, job_id: int) -> str | None:
    """The name of import job `job_id`'s source (a retry of the job keeps it)."""
    return connection.scalar(
        select(SOURCES.c.name)
        .where(SOURCES.c.kind == SourceKind.IMPORT.value, SOURCES.c.job_id == job_id)
        .order_by(SOURCES.c.id)
        .limit(1)
    )


def token_source(connection: Connection, *, bearer: str) -> int | None:
    """The source of what an API call with token `bearer` writes (one per token, named after
    it); None for an unknown token."""
    from tandem.auth.models import ApiToken
    from tandem.auth.tokens import digest

    token = connection.execute(
        select(ApiToken.id, ApiToken.name).where(ApiToken.token_hash == digest(bearer))
    ).first()
    if token is None:
        return None
    return source_id(connection, kind=SourceKind.API, name=token.name, token_id=token.id)
