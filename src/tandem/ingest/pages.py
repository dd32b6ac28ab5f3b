"""The admin upload page: choose a file, kind and profile; preview; commit; see the report."""

from __future__ import annotations

import hashlib
import re
from contextlib import suppress
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from tandem.events import bus_of
from tandem.ingest import jobs, report
from tandem.ingest.fields import KINDS_ORDER
from tandem.ingest.mapping import (
    BUILTIN_PROFILES,
    PROFILES,
    Mapping,
    MappingError,
    parse_mapping,
    profile_mapping,
)
from tandem.ingest.preview import preview
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.ids import PathId
from tandem.web.pages import render
from tandem.web.security import too_large

router = APIRouter(prefix="/ingest", dependencies=[Depends(verify_csrf)])


def _admin(user: PageUser) -> None:
    if user.role != "admin":
        raise HTTPException(403, "only admins can import data")


def _uploads(request: Request) -> Path:
    folder = Path(request.app.state.settings.data_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _mapping(kind: str, profile: str, text: str) -> Mapping:
    if text.strip():
        return parse_mapping(text, "mapping", kind)
    return profile_mapping(profile, kind)


def _form(request: Request, user: object, db: DbSession, **context: object) -> HTMLResponse:
    recent = db.execute(select(jobs.JOBS).order_by(jobs.JOBS.c.id.desc()).limit(10)).mappings()
    defaults = {"kind": "contacts", "profile": "hubspot", "mapping_text": "", "error": None}
    return render(
        request,
        "ingest_upload.html",
        status_code=422 if context.get("error") else 200,
        user=user,
        kinds=KINDS_ORDER,
        profiles=PROFILES,
        recent=[report.summary(dict(j)) for j in recent],
        **(defaults | context),
    )


@router.get("", response_class=HTMLResponse)
def upload_form(request: Request, db: DbSession, user: PageUser) -> HTMLResponse:
    _admin(user)
    return _form(request, user, db)


@router.post("/preview", response_class=HTMLResponse)
async def upload_preview(
    request: Request,
    db: DbSession,
    user: PageUser,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()],
    profile: Annotated[str, Form()],
    mapping_text: Annotated[str, Form()] = "",
) -> HTMLResponse:
    _admin(user)
    form = {"kind": kind, "profile": profile, "mapping_text": mapping_text}
    if kind not in KINDS_ORDER or profile not in PROFILES:
        return _form(request, user, db, error="choose a kind and a profile from the lists", **form)
    limit = request.app.state.settings.upload_max_bytes  # the body limit refuses most first
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, too_large(limit))
    try:
        mapping = _mapping(kind, profile, mapping_text)
    except MappingError as exc:
        return _form(request, user, db, error=str(exc), **form)
    # Stored under its hash: the commit step and later resumes/retries read this same file.
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", file.filename or "upload.csv")[-100:]
    stored = _uploads(request) / f"{hashlib.sha256(data).hexdigest()[:16]}-{name}"
    stored.write_bytes(data)
    shown = preview(stored, kind, mapping)
    return render(
        request,
        "ingest_preview.html",
        user=user,
        p=shown,
        stored=stored.name,
        file_name=file.filename,
        **form,
    )


#: The names `upload_preview` gives stored uploads: `<16 hex digits>-<cleaned file name>`.
_STORED = re.compile(r"[0-9a-f]{16}-[A-Za-z0-9._-]{1,100}")


def _stored_upload(request: Request, stored: str) -> Path | None:
    """The stored upload named `stored`: a file the preview step wrote, directly in the upload
    folder, or None (any other name, `..`, an empty one, a folder, a link out)."""
    if not _STORED.fullmatch(stored) or stored.strip(".") != stored:
        return None
    folder = _uploads(request).resolve()
    path = (folder / stored).resolve()
    return path if path.parent == folder and path.is_file() else None


@router.post("/commit")
def upload_commit(
    request: Request,
    db: DbSession,
    user: PageUser,
    stored: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    profile: Annotated[str, Form()],
    mapping_text: Annotated[str, Form()] = "",
) -> RedirectResponse:
    _admin(user)
    path = _stored_upload(request, stored)
    if path is None or kind not in KINDS_ORDER or profile not in PROFILES:
        raise HTTPException(400, "upload not found: start again")
    try:
        mapping = _mapping(kind, profile, mapping_text)
    except MappingError as exc:
        raise HTTPException(422, str(exc)) from None
    tx = jobs.nested(db.connection())
    job_id = jobs.create_job(
        tx, path=path, kind=kind, profile=profile, mapping=mapping, created_by=user.id
    )
    with suppress(jobs.JobError):  # the job row holds the reason; the report page shows it
        jobs.run_job(tx, job_id, bus=bus_of(db))
    return RedirectResponse(f"/ingest/jobs/{job_id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, db: DbSession, user: PageUser, job_id: PathId) -> HTMLResponse:
    _admin(user)
    tx = jobs.nested(db.connection())
    try:
        job = jobs.get_job(tx, job_id)
    except jobs.JobError as exc:
        raise HTTPException(404, str(exc)) from None
    errors = jobs.list_errors(tx, job_id, limit=500)
    return render(
        request,
        "ingest_job.html",
        user=user,
        job=job,
        summary=report.summary(job),
        notes=report.note_lines(job),
        errors=errors,
        builtin=BUILTIN_PROFILES,
    )
