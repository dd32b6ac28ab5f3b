"""`POST /api/v1/activities`, `/contacts`, `/accounts`: idempotent ingestion by API token."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tandem.auth.models import User
from tandem.bounds import limits
from tandem.contacts import sources
from tandem.db import utcnow
from tandem.ingest import deferred, events, jobs, report, usage_events
from tandem.ingest.fields import get_kind
from tandem.web.deps import ApiUser, DbSession, api_user
from tandem.web.ids import PathId

router = APIRouter(prefix="/api/v1", tags=["ingest"])
USAGE_EVENTS = "events"  # the usage event API's batch key: {"events": [...]}
REPORT_ERRORS = 100  # quarantined rows in the JSON report (all: `tandem import errors`)


def token_user(request: Request, db: DbSession) -> User:
    """Writes need an API token: a browser session alone could be driven by another site."""
    _need_bearer(request)
    return api_user(request, db)


TokenUser = Annotated[User, Depends(token_user)]


def _need_bearer(request: Request) -> None:
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "an API token is required (Authorization: Bearer ...)",
            headers={"WWW-Authenticate": "Bearer"},
        )


def _limit(request: Request) -> int:
    settings = request.app.state.settings
    return settings.ingest_max_body_bytes


_JSON_TYPES = {
    "text": "string", "email": "string", "domain": "string", "country": "string",
    "choice": "string", "activity_type": "string", "date": "string", "datetime": "string",
    "decimal": ["number", "string"], "int": ["integer", "string"], "float": ["number", "string"],
    "bool": ["boolean", "string"],
}  # fmt: skip


def _documented_body(kind: str) -> dict[str, object]:
    """The OpenAPI request body: one item, a list, or {kind: [...]}; unknown fields are kept."""
    spec = get_kind(kind)
    fields: dict[str, object] = {}
    for f in spec.fields.values():
        schema: dict[str, object] = {"type": _JSON_TYPES.get(f.type, "string")}
        if f.choices:
            schema["enum"] = list(f.choices)
        if f.max_length:
            schema["maxLength"] = f.max_length
        if bounds := limits(f.type, f.non_negative):  # checked per item (tandem.bounds)
            schema["minimum"], schema["maximum"] = bounds
        fields[f.name] = schema
    item = {"type": "object", "properties": fields}
    batch = {"type": "array", "items": item, "maxItems": events.MAX_BATCH}
    wrapped = {"type": "object", "required": [kind], "properties": {kind: batch}}
    schema = {"anyOf": [wrapped, batch, item]}
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": True, "content": content}}


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return not media or media == "application/json" or media.endswith("+json")


async def _read_body(request: Request) -> bytes | HTTPException:
    """The raw body, or the 415/413 to answer once the caller is known (credentials are
    checked first, as before any body is looked at)."""
    if not _is_json(request.headers.get("content-type", "")):
        return HTTPException(415, "send the body as JSON (Content-Type: application/json)")
    limit = _limit(request)
    declared = request.headers.get("content-length")
    too_big = HTTPException(413, f"request body exceeds {limit:,} bytes: send smaller batches")
    if declared and declared.isdigit() and int(declared) > limit:
        return too_big
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            return too_big
    return bytes(body)


def _parse(body: bytes) -> object:
    try:
        parsed = json.loads(body, parse_constant=_not_json)
        if _SURROGATE.search(body):  # rare: then check that every string can be stored
            json.dumps(parsed, ensure_ascii=False).encode()
        return parsed
    except (ValueError, UnicodeError) as exc:
        raise HTTPException(422, f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise HTTPException(422, "body is not valid JSON: nested too deeply") from None


_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


async def _ingest(kind: str, request: Request) -> Response:
    """The whole request in one worker thread: the session, the token, the rule, the batch and
    the commit (a thread hop each cost more CPU than a small batch's insert)."""
    _need_bearer(request)
    body = await _read_body(request)
    answer = await run_in_threadpool(_ingest_sync, kind, request, body)
    return Response(answer, media_type="application/json")


# SQLite has one writer, and a batch's insert (one executemany) takes the GIL back for each row:
# a third request validating meanwhile only slows it down. On SQLite at most two event-API
# requests of a process work at once (one writes while the next validates), the others wait
# here. Four batches of 1,000 in flight: the same rows/s, p99 1.2-1.4 s -> 0.45-0.5 s.
_SQLITE_SLOTS = threading.BoundedSemaphore(2)
SLOT_WAIT_S = 10.0  # as SQLite's busy_timeout; then 503


def _ingest_sync(kind: str, request: Request, body: bytes | HTTPException) -> bytes:
    if request.app.state.engine.dialect.name != "sqlite":
        return _ingest_in_session(kind, request, body)
    if not _SQLITE_SLOTS.acquire(timeout=SLOT_WAIT_S):
        raise _busy()
    try:
        return _ingest_in_session(kind, request, body)
    finally:
        _SQLITE_SLOTS.release()


def _busy() -> HTTPException:
    return HTTPException(
        503, "the database is busy: send the same request again", headers={"Retry-After": "1"}
    )


def _ingest_in_session(kind: str, request: Request, body: bytes | HTTPException) -> bytes:
    session: Session = request.app.state.session_factory()
    try:
        user = api_user(request, session)  # 401 for an unknown token, 403 by the route's rule
        if isinstance(body, HTTPException):
            raise body
        try:
            items = events.batch_items(_parse(body), kind)
        except events.BatchTooLarge as exc:
            raise HTTPException(413, str(exc)) from None
        try:
            # Tokens only (tandem.ingest.access): the token is the records' source.
            bearer = request.headers.get("authorization", "")[7:].strip()
            source_id = sources.token_source(session.connection(), bearer=bearer)
            actor = f"api:{user.email}"
            if kind == USAGE_EVENTS:
                result = usage_events.ingest(
                    db_session=session, items=items, now=utcnow(), actor=actor, source_id=source_id
                )
            else:
                result = events.ingest(
                    db_session=session, kind=kind, items=items, now=utcnow(), actor=actor,
                    source_id=source_id,
                )  # fmt: skip
            session.commit()
        except (OperationalError, sqlite3.OperationalError) as exc:
            if "database is locked" not in str(getattr(exc, "orig", exc)):
                raise
            # SQLite's one write lock was not to be had (busy writers, or another writer
            # committed after this request's first read): nothing was stored (the request's
            # transaction rolls back) and the same request again is safe. Raw-cursor
            # statements raise sqlite3's own error, SQLAlchemy's wrap it.
            raise _busy() from None
        except Exception as exc:
            if not deferred.is_refusal(exc):
                raise
            # A bulk load of activities has the table's unique key down and refuses every
            # other writer's insert until it is back (tandem.ingest.deferred).
            message = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise HTTPException(503, message, headers={"Retry-After": "30"}) from None
        return result.json()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@router.post(
    "/activities", response_model=events.IngestResult, openapi_extra=_documented_body("activities")
)
async def post_activities(request: Request) -> Response:
    """One activity or a batch (a list, or {"activities": [...]}) of up to 10,000. Each is stored
    once per idempotency key (given, or derived from its content); unknown contacts are created
    from the email."""
    return await _ingest("activities", request)


@router.post(
    "/contacts", response_model=events.IngestResult, openapi_extra=_documented_body("contacts")
)
async def post_contacts(request: Request) -> Response:
    """Create or update contacts, matched by email then external id."""
    return await _ingest("contacts", request)


@router.post(
    "/accounts", response_model=events.IngestResult, openapi_extra=_documented_body("accounts")
)
async def post_accounts(request: Request) -> Response:
    """Create or update accounts, matched by external id, domain, then name."""
    return await _ingest("accounts", request)


def _usage_body() -> dict[str, object]:
    """The usage events' request body: the fields of `usage` and `user_usage` and the key."""
    fields: dict[str, object] = {}
    for kind in ("usage", "user_usage"):
        schema = _documented_body(kind)["requestBody"]["content"]["application/json"]["schema"]  # type: ignore[index]
        fields |= schema["anyOf"][2]["properties"]
    key = {"type": "string", "minLength": 1, "maxLength": usage_events.KEY_LENGTH}
    item = {"type": "object", "required": ["event_key"], "properties": fields | {"event_key": key}}
    batch = {"type": "array", "items": item, "maxItems": events.MAX_BATCH}
    wrapped = {"type": "object", "required": [USAGE_EVENTS], "properties": {USAGE_EVENTS: batch}}
    content = {"application/json": {"schema": {"anyOf": [wrapped, batch, item]}}}
    return {"requestBody": {"required": True, "content": content}}


@router.post(
    "/usage/events",
    response_model=events.IngestResult,
    openapi_extra=_usage_body(),
    responses={
        413: {"description": "More than 10,000 events, or a body above the size limit"},
        422: {"description": "The body is not JSON (an invalid event is reported in its item)"},
    },
)
async def post_usage_events(request: Request) -> Response:
    """Product usage, one event or a batch (a list, or {"events": [...]}) of up to 10,000: an
    event naming a user (`contact_email`, `contact_external_id` or `contact_id`) is that
    user's usage, any other the account's (`account_external_id`, `account_domain` or
    `account_name`). Each is stored once per `event_key`; each item's result names its index,
    status and, when rejected, the field and the reason."""
    return await _ingest(USAGE_EVENTS, request)


class ImportReport(BaseModel):
    """An import job's report: the summary line, its notes (values left unknown or derived by
    a profile rule, links waiting for records not imported, merges...), the counts of unknown
    and derived values per field, and its first quarantined rows."""

    job: dict[str, Any]
    summary: str
    notes: list[str]
    unknown: dict[str, int]
    derived: dict[str, int]
    errors: list[str]


@router.get("/imports/{job_id}", response_model=ImportReport)
def import_report(job_id: PathId, db: DbSession, user: ApiUser) -> ImportReport:
    """The report of import job `job_id`, as the job page shows it."""
    tx = jobs.nested(db.connection())
    try:
        job = jobs.get_job(tx, job_id)
    except jobs.JobError as exc:
        raise HTTPException(404, str(exc)) from None
    errors = jobs.list_errors(tx, job_id, limit=REPORT_ERRORS)
    shown = ("id", "kind", "profile", "file_name", "status", "message", "rows_total", "rows_new",
             "rows_updated", "rows_unchanged", "rows_quarantined")  # fmt: skip
    return ImportReport(
        job={k: job[k] for k in shown},
        summary=report.summary(job),
        notes=report.note_lines(job),
        **report.value_counts(job),
        errors=[report.error_line(job["file_name"], e) for e in errors],
    )
