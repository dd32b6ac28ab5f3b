"""The import pages, for admins (every kind) and marketers (contacts, activities, campaigns):
choose a file, kind and profile; map each column with a select (guessed from the headers);
preview the first rows as they would be stored; import; see the report, fix quarantined rows
in the page and import them again (a retry job: fixed rows are marked resolved, nothing is
stored twice)."""

from __future__ import annotations

import hashlib
import re
from contextlib import suppress
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from tandem.auth.models import User
from tandem.events import bus_of
from tandem.ingest import browser, jobs, report
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
#: The selects, one per CSV column: a field name each, or "" (ignored).
_MAP = Form(max_length=browser.MAX_COLUMNS)


def _uploads(request: Request) -> Path:
    folder = Path(request.app.state.settings.data_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _mapping(kind: str, profile: str, text: str) -> Mapping:
    if text.strip():
        return parse_mapping(text, "mapping", kind)
    return profile_mapping(profile, kind)


def _form(request: Request, user: User, db: DbSession, **context: object) -> HTMLResponse:
    query = select(jobs.JOBS).order_by(jobs.JOBS.c.id.desc()).limit(10)
    if user.role != "admin":  # a marketer's own imports
        query = query.where(jobs.JOBS.c.created_by == user.id)
    recent = db.execute(query).mappings()
    defaults = {"kind": "contacts", "profile": "hubspot", "mapping_text": "", "error": None}
    return render(
        request,
        "ingest_upload.html",
        status_code=422 if context.get("error") else 200,
        user=user,
        kinds=browser.kinds_for(user.role),
        profiles=PROFILES,
        recent=[(j["id"], report.summary(dict(j))) for j in recent],
        **(defaults | context),
    )


def _allowed(user: User, kind: str, profile: str) -> str | None:
    """Why this kind and profile cannot be imported by `user` (None: they can)."""
    if kind not in browser.kinds_for(user.role) or profile not in PROFILES:
        kinds = ", ".join(browser.kinds_for(user.role))
        return f"choose a kind ({kinds}) and a profile from the lists"
    return None


@router.get("", response_class=HTMLResponse)
def upload_form(request: Request, db: DbSession, user: PageUser) -> HTMLResponse:
    """Choose a file, its kind and profile."""
    return _form(request, user, db)


def _preview_page(
    request: Request,
    user: User,
    path: Path,
    form: dict[str, str],
    choices: list[str] | None,
    file_name: str,
) -> HTMLResponse:
    """The preview of `path` with the base mapping and, when given, the page's choices."""
    kind = form["kind"]
    status, problem = 200, None
    try:
        mapping = _mapping(kind, form["profile"], form["mapping_text"])
        if choices:
            header = browser.header_of(path, mapping)
            mapping = browser.choose(mapping, header, choices, kind)
    except MappingError as exc:
        status, problem = 422, str(exc)
        mapping = Mapping()
    shown = preview(path, kind, mapping)
    return render(
        request,
        "ingest_preview.html",
        status_code=status,
        user=user,
        p=shown,
        stored=path.name,
        file_name=file_name,
        fields=browser.field_names(kind),
        mapping_problem=problem,
        **form,
    )


@router.post("/preview", response_class=HTMLResponse)
async def upload_preview(
    request: Request,
    db: DbSession,
    user: PageUser,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=40)],
    profile: Annotated[str, Form(max_length=40)],
    mapping_text: Annotated[str, Form(max_length=100_000)] = "",
) -> HTMLResponse:
    """Store the upload and show the guessed mapping and the first rows."""
    form = {"kind": kind, "profile": profile, "mapping_text": mapping_text}
    if why := _allowed(user, kind, profile):
        return _form(request, user, db, error=why, **form)
    limit = request.app.state.settings.upload_max_bytes  # the body limit refuses most first
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, too_large(limit))
    try:
        _mapping(kind, profile, mapping_text)
    except MappingError as exc:
        return _form(request, user, db, error=str(exc), **form)
    # Stored under its hash: the commit step and later resumes/retries read this same file.
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", file.filename or "upload.csv")[-100:]
    stored = _uploads(request) / f"{hashlib.sha256(data).hexdigest()[:16]}-{name}"
    stored.write_bytes(data)
    return _preview_page(request, user, stored, form, None, file.filename or name)


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


def _upload(request: Request, user: User, stored: str, kind: str, profile: str) -> Path:
    path = _stored_upload(request, stored)
    if path is None or _allowed(user, kind, profile):
        raise HTTPException(400, "upload not found: start again")
    return path


@router.post("/remap", response_class=HTMLResponse)
def upload_remap(
    request: Request,
    user: PageUser,
    stored: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=40)],
    profile: Annotated[str, Form(max_length=40)],
    mapping_text: Annotated[str, Form(max_length=100_000)] = "",
    column: Annotated[list[str] | None, _MAP] = None,
) -> HTMLResponse:
    """The preview again with the fields chosen per column."""
    path = _upload(request, user, stored, kind, profile)
    form = {"kind": kind, "profile": profile, "mapping_text": mapping_text}
    name = path.name.split("-", 1)[1]
    return _preview_page(request, user, path, form, column or [], name)


@router.post("/commit", response_model=None)
def upload_commit(
    request: Request,
    db: DbSession,
    user: PageUser,
    stored: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=40)],
    profile: Annotated[str, Form(max_length=40)],
    mapping_text: Annotated[str, Form(max_length=100_000)] = "",
    column: Annotated[list[str] | None, _MAP] = None,
) -> Response:
    """Import the upload with the chosen mapping; on to the report."""
    path = _upload(request, user, stored, kind, profile)
    try:
        mapping = _mapping(kind, profile, mapping_text)
        if column:
            mapping = browser.choose(mapping, browser.header_of(path, mapping), column, kind)
    except MappingError:
        form = {"kind": kind, "profile": profile, "mapping_text": mapping_text}
        return _preview_page(request, user, path, form, column, path.name.split("-", 1)[1])
    tx = jobs.nested(db.connection())
    job_id = jobs.create_job(
        tx, path=path, kind=kind, profile=profile, mapping=mapping, created_by=user.id
    )
    with suppress(jobs.JobError):  # the job row holds the reason; the report page shows it
        jobs.run_job(tx, job_id, bus=bus_of(db))
    return RedirectResponse(f"/ingest/jobs/{job_id}", status_code=303)


def _job(db: DbSession, user: User, job_id: int) -> dict:
    """The job, when `user` may see it: admins every job, marketers their own."""
    tx = jobs.nested(db.connection())
    try:
        job = jobs.get_job(tx, job_id)
    except jobs.JobError as exc:
        raise HTTPException(404, str(exc)) from None
    if user.role != "admin" and job["created_by"] != user.id:
        raise HTTPException(403, "this import was made by someone else")
    return job


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, db: DbSession, user: PageUser, job_id: PathId) -> HTMLResponse:
    """The report: counts, notes, quarantined rows with a form to fix them."""
    job = _job(db, user, job_id)
    tx = jobs.nested(db.connection())
    errors = jobs.list_errors(tx, job_id, limit=browser.MAX_FIXES)
    header, fixes = [], []
    with suppress(OSError, ValueError):  # the file gone: the rows are listed, not editable
        header, fixes = browser.fix_rows(job, errors)
    return render(
        request,
        "ingest_job.html",
        user=user,
        job=job,
        summary=report.summary(job),
        notes=report.note_lines(job),
        errors=errors,
        builtin=BUILTIN_PROFILES,
        header=header,
        fixes=fixes,
    )


@router.post("/jobs/{job_id}/fixes", response_model=None)
async def job_fixes(
    request: Request, db: DbSession, user: PageUser, job_id: PathId
) -> RedirectResponse:
    """Import the rows fixed in the page as a retry of the job (the fixed rows resolved)."""
    job = _job(db, user, job_id)
    tx = jobs.nested(db.connection())
    header, fixes = browser.fix_rows(job, jobs.list_errors(tx, job_id, limit=browser.MAX_FIXES))
    form = await request.form()  # parsed (and bounded) once, by the CSRF check
    fixed = []
    for row in fixes:
        if form.get(f"include-{row.line}") is None:
            continue  # left as it is: stays quarantined
        given = [form.get(f"cell-{row.line}-{i}") for i in range(len(header))]
        cells = [str(v)[:10_000] if v is not None else row.cells[i] for i, v in enumerate(given)]
        fixed.append((row.line, cells))
    if not fixed:
        raise HTTPException(422, "tick the rows you fixed, then import them again")
    path = browser.write_fixes(_uploads(request), job_id, header, fixed)
    new_id = jobs.create_retry(tx, job_id, path, created_by=user.id)
    with suppress(jobs.JobError):
        jobs.run_job(tx, new_id, bus=bus_of(db))
    return RedirectResponse(f"/ingest/jobs/{new_id}", status_code=303)
