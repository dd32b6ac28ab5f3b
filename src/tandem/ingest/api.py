"""`POST /api/v1/activities`, `/contacts`, `/accounts`: idempotent ingestion by API token."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import OperationalError

from tandem.auth.models import User
from tandem.db import utcnow
from tandem.ingest import events
from tandem.ingest.fields import get_kind
from tandem.web.deps import DbSession, api_user

router = APIRouter(prefix="/api/v1", tags=["ingest"])


def token_user(request: Request, db: DbSession) -> User:
    """Writes need an API token: a browser session alone could be driven by another site."""
    if not request.headers.get("authorization", "").lower().startswith("bearer "):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "an API token is required (Authorization: Bearer ...)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return api_user(request, db)


TokenUser = Annotated[User, Depends(token_user)]


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


async def _body(request: Request) -> object:
    if not _is_json(request.headers.get("content-type", "")):
        raise HTTPException(415, "send the body as JSON (Content-Type: application/json)")
    limit = _limit(request)
    declared = request.headers.get("content-length")
    too_big = HTTPException(
        413,
        f"request body exceeds {limit:,} bytes: send smaller batches",
    )
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_big
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise too_big
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


async def _ingest(kind: str, request: Request, db: DbSession, user: User) -> events.IngestResult:
    body = await _body(request)
    try:
        items = events.batch_items(body, kind)
    except events.BatchTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    try:
        return await run_in_threadpool(
            events.ingest,
            db_session=db,
            kind=kind,
            items=items,
            now=utcnow(),
            actor=f"api:{user.email}",
        )
    except (OperationalError, sqlite3.OperationalError) as exc:
        if "database is locked" not in str(getattr(exc, "orig", exc)):
            raise
        # SQLite's one write lock was not to be had (busy writers, or another writer committed
        # after this request's first read): nothing was stored (the request's transaction
        # rolls back) and the same request again is safe. Raw-cursor statements raise
        # sqlite3's own error, SQLAlchemy's wrap it.
        raise HTTPException(
            503, "the database is busy: send the same request again", headers={"Retry-After": "1"}
        ) from None


@router.post(
    "/activities", response_model=events.IngestResult, openapi_extra=_documented_body("activities")
)
async def post_activities(request: Request, db: DbSession, user: TokenUser) -> events.IngestResult:
    """One activity or a batch (a list, or {"activities": [...]}) of up to 10,000. Each is stored
    once per idempotency key (given, or derived from its content); unknown contacts are created
    from the email."""
    return await _ingest("activities", request, db, user)


@router.post(
    "/contacts", response_model=events.IngestResult, openapi_extra=_documented_body("contacts")
)
async def post_contacts(request: Request, db: DbSession, user: TokenUser) -> events.IngestResult:
    """Create or update contacts, matched by email then external id."""
    return await _ingest("contacts", request, db, user)


@router.post(
    "/accounts", response_model=events.IngestResult, openapi_extra=_documented_body("accounts")
)
async def post_accounts(request: Request, db: DbSession, user: TokenUser) -> events.IngestResult:
    """Create or update accounts, matched by external id, domain, then name."""
    return await _ingest("accounts", request, db, user)
