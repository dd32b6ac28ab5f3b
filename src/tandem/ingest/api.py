"""`POST /api/v1/activities`, `/contacts`, `/accounts`: idempotent ingestion by API token."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool

from tandem.auth.models import User
from tandem.db import utcnow
from tandem.ingest import events
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


async def _body(request: Request) -> object:
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
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(422, f"body is not valid JSON: {exc}") from None


async def _ingest(kind: str, request: Request, db: DbSession, user: User) -> events.IngestResult:
    body = await _body(request)
    try:
        items = events.batch_items(body, kind)
    except events.BatchTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    return await run_in_threadpool(
        events.ingest,
        db_session=db,
        kind=kind,
        items=items,
        now=utcnow(),
        actor=f"api:{user.email}",
    )


@router.post("/activities", response_model=events.IngestResult)
async def post_activities(request: Request, db: DbSession, user: TokenUser) -> events.IngestResult:
    """One activity or a batch (a list, or {"activities": [...]}) of up to 10,000. Each is stored
    once per idempotency key (given, or derived from its content); unknown contacts are created
    from the email."""
    return await _ingest("activities", request, db, user)


@router.post("/contacts", response_model=events.IngestResult)
async def post_contacts(request: Request, db: DbSession, user: TokenUser) -> events.IngestResult:
    """Create or update contacts, matched by email then external id."""
    return await _ingest("contacts", request, db, user)


@router.post("/accounts", response_model=events.IngestResult)
async def post_accounts(request: Request, db: DbSession, user: TokenUser) -> events.IngestResult:
    """Create or update accounts, matched by external id, domain, then name."""
    return await _ingest("accounts", request, db, user)
