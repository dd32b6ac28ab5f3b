"""The content pages: the library (`/content`), one asset (`/content/{id}`), a new asset, the
purge list (`/content/unused`), and the public tracked link (`/c/{token}`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from tandem.auth.models import User
from tandem.auth.permissions import may_read, visible_to
from tandem.contacts.buying_roles import BuyingRole
from tandem.contacts.models import Contact
from tandem.content import detail, links, purge, service, shares
from tandem.content.definitions import active_taxonomy
from tandem.content.schemas import AssetIn, FeedbackIn, ShareIn, ShareResult
from tandem.db import utcnow
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.ids import PathId, QueryId

router = APIRouter(dependencies=[Depends(verify_csrf)])
public = APIRouter()
ROLES = [r.value for r in BuyingRole if r != BuyingRole.UNKNOWN]
PANELS = ("share", "feedback", "deals")  # errors shown in their own panel, not the edit form
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _render(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status)


def _not_found(exc: service.ContentError) -> HTTPException:
    if isinstance(exc, service.NotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, service.NotAllowed):
        return HTTPException(403, str(exc))
    return HTTPException(422, str(exc))


def _form_asset(form: dict[str, Any]) -> tuple[AssetIn | None, dict[str, str]]:
    """The asset a form describes, or its errors by field."""
    raw = {k: v for k, v in form.items() if v not in ("", None)}
    try:
        return AssetIn.model_validate(raw), {}
    except ValidationError as exc:
        errors = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            errors.setdefault(field, str(error["msg"]).removeprefix("Value error, "))
        return None, errors


def _asset_fields(
    title: str, type: str, journey_stage: str, description: str, url: str,
    personas: list[str], buying_roles: list[str], products: str, published_on: str,
    expires_on: str, status: str,
) -> dict[str, Any]:  # fmt: skip
    return {"title": title, "type": type, "journey_stage": journey_stage,
            "description": description, "url": url, "personas": personas,
            "buying_roles": buying_roles, "products": products, "published_on": published_on,
            "expires_on": expires_on, "status": status or "live"}  # fmt: skip


AssetForm = Annotated[dict[str, Any], Depends(
    lambda title=Form(""), type=Form(""), journey_stage=Form(""), description=Form(""),
    url=Form(""), personas=Form([]), buying_roles=Form([]), products=Form(""),
    published_on=Form(""), expires_on=Form(""), status=Form("live"): _asset_fields(
        title, type, journey_stage, description, url, personas, buying_roles, products,
        published_on, expires_on, status)
)]  # fmt: skip


# --- the library ----------------------------------------------------------------------------


@router.get("/content", response_class=HTMLResponse)
def library_page(
    request: Request,
    user: PageUser,
    db: DbSession,
    q: str = "",
    stage: str = "",
    persona: str = "",
    type: str = "",
    product: str = "",
    status: str = "",
    contact: QueryId = None,
) -> HTMLResponse:
    """The library; `?contact=ID` offers each asset for sharing with that contact (the link
    from a contact's page)."""
    status = status if status in ("draft", "live", "archived") else ""
    share_to = None
    if contact is not None and may_read(db, user, "contact", contact, request.app.state.settings):
        found = db.get(Contact, contact)
        share_to = (
            {"id": found.id, "name": found.full_name, "email": found.email} if found else None
        )
    vm = service.library(db, q=q[:300], stage=stage or None, persona=persona or None,
                         type=type or None, product=product or None, status=status or None,
                         user=user)  # fmt: skip
    return _render(request, "content_library.html",
                   {"user": user, "vm": vm, "taxonomy": active_taxonomy(db),
                    "share_to": share_to})  # fmt: skip


def _form_page(
    request: Request, db: DbSession, user: User, form: dict[str, Any],
    errors: dict[str, str], status: int = 200,
) -> HTMLResponse:  # fmt: skip
    context = {"user": user, "form": form, "form_errors": errors, "roles": ROLES,
               "taxonomy": active_taxonomy(db)}  # fmt: skip
    return _render(request, "content_new.html", context, status)


@router.get("/content/new", response_class=HTMLResponse)
def new_asset_page(request: Request, user: PageUser, db: DbSession) -> HTMLResponse:
    return _form_page(request, db, user, {"status": "live", "personas": [], "buying_roles": []}, {})


@router.post("/content", response_model=None)
def create_asset_form(
    request: Request, user: PageUser, db: DbSession, form: AssetForm
) -> HTMLResponse | RedirectResponse:
    data, errors = _form_asset(form)
    if data is not None:
        try:
            asset = service.create_asset(db, data=data, by=user)
            return RedirectResponse(f"/content/{asset.id}", status_code=303)
        except service.AssetInvalid as exc:
            errors = dict(exc.problems)
        except service.ContentError as exc:
            raise _not_found(exc) from None
    return _form_page(request, db, user, form, errors, 422)


# --- unused and purges ----------------------------------------------------------------------


@router.get("/content/unused", response_class=HTMLResponse)
def unused_page(
    request: Request, user: PageUser, db: DbSession, months: Annotated[int, Query(ge=1, le=120)] = 6
) -> HTMLResponse:
    as_of = utcnow()
    return _render(request, "content_unused.html", {
        "user": user, "months": months, "rows": purge.unused(db, as_of=as_of, months=months),
        "purges": purge.purges(db), "can_propose": purge.can_propose(user),
        "team": purge.TEAMS.get(user.role), "reasons": purge.REASONS,
        "error": request.query_params.get("error", "")[:300],
    })  # fmt: skip


@router.post("/content/purges")
def propose_purge_form(
    user: PageUser, db: DbSession, months: Annotated[int, Form(ge=1, le=120)] = 6
) -> RedirectResponse:
    try:
        purge.propose(db, by=user, as_of=utcnow(), months=months)
    except service.NotAllowed as exc:
        raise HTTPException(403, str(exc)) from None
    except service.ContentError as exc:
        return RedirectResponse(f"/content/unused?months={months}&error={exc}", status_code=303)
    return RedirectResponse(f"/content/unused?months={months}", status_code=303)


@router.post("/content/purges/{purge_id}/{decision}")
def decide_purge_form(
    purge_id: PathId, decision: str, user: PageUser, db: DbSession,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:  # fmt: skip
    if decision not in ("approve", "reject"):
        raise HTTPException(404, "approve or reject")
    try:
        purge.decide(db, purge_id=purge_id, by=user, approve=decision == "approve",
                     as_of=utcnow(), comment=comment or None)  # fmt: skip
    except service.ContentError as exc:
        raise _not_found(exc) from None
    return RedirectResponse("/content/unused", status_code=303)


# --- one asset ------------------------------------------------------------------------------


def _asset_page(
    request: Request, db: DbSession, user: User, asset_id: int, *,
    result: ShareResult | None = None, errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None, status: int = 200,
) -> HTMLResponse:  # fmt: skip
    try:
        vm = detail.asset_detail(db, asset_id=asset_id, user=user,
                                 visible_to=visible_to(request, user))  # fmt: skip
    except service.ContentError as exc:
        raise _not_found(exc) from None
    return _render(request, "content_asset.html", {
        "user": user, "vm": vm, "taxonomy": active_taxonomy(db), "roles": ROLES,
        "result": result, "errors": errors or {}, "form": form or vm.asset.model_dump(),
        "form_errors": {k: v for k, v in (errors or {}).items() if k not in PANELS},
    }, status)  # fmt: skip


@router.get("/content/{asset_id}", response_class=HTMLResponse)
def asset_page(asset_id: PathId, request: Request, user: PageUser, db: DbSession) -> HTMLResponse:
    return _asset_page(request, db, user, asset_id)


@router.post("/content/{asset_id}", response_model=None)
def edit_asset_form(
    asset_id: PathId, request: Request, user: PageUser, db: DbSession, form: AssetForm
) -> HTMLResponse | RedirectResponse:
    try:
        if not service.can_edit(user, service.get_asset(db, asset_id)):
            raise service.NotAllowed("only the asset's owner, marketers, sales managers and "
                                     "admins edit it")  # fmt: skip
    except service.ContentError as exc:
        raise _not_found(exc) from None
    data, errors = _form_asset(form)
    if data is not None:
        try:
            service.update_asset(db, asset_id=asset_id, data=data, by=user)
            return RedirectResponse(f"/content/{asset_id}", status_code=303)
        except service.AssetInvalid as exc:
            errors = dict(exc.problems)
        except service.ContentError as exc:
            raise _not_found(exc) from None
    return _asset_page(request, db, user, asset_id, errors=errors, form=form, status=422)


@router.post("/content/{asset_id}/archive")
def archive_asset_form(asset_id: PathId, user: PageUser, db: DbSession) -> RedirectResponse:
    try:
        service.archive_asset(db, asset_id=asset_id, by=user)
    except service.ContentError as exc:
        raise _not_found(exc) from None
    return RedirectResponse(f"/content/{asset_id}", status_code=303)


def file_path(request: Request, asset_id: int, file_name: str) -> Path:
    return Path(request.app.state.settings.data_dir) / "content" / str(asset_id) / file_name


@router.post("/content/{asset_id}/file")
async def upload_file_form(
    asset_id: PathId, request: Request, user: PageUser, db: DbSession, file: UploadFile
) -> RedirectResponse:
    name = _SAFE_NAME.sub("-", Path(file.filename or "file").name).strip(".-")[:200] or "file"
    limit = request.app.state.settings.upload_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"the file is larger than {limit:,} bytes")
    try:
        service.attach_file(db, asset_id=asset_id, file_name=name, by=user)
    except service.ContentError as exc:
        raise _not_found(exc) from None
    target = file_path(request, asset_id, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return RedirectResponse(f"/content/{asset_id}", status_code=303)


@router.get("/content/{asset_id}/file", response_model=None)
def download_file(asset_id: PathId, request: Request, user: PageUser, db: DbSession) -> Response:
    try:
        asset = service.get_asset(db, asset_id)
    except service.ContentError as exc:
        raise _not_found(exc) from None
    path = file_path(request, asset_id, asset.file_name) if asset.file_name else None
    if path is None or not path.is_file():
        raise HTTPException(404, "no stored file")
    return FileResponse(path, filename=asset.file_name)


def _recipients(text: str) -> tuple[list[int], list[str]]:
    ids, emails = [], []
    for part in re.split(r"[\s,;]+", text):
        if part.isdigit() and len(part) < 10:
            ids.append(int(part))
        elif part:
            emails.append(part[:254])
    return ids, emails


@router.post("/content/{asset_id}/share", response_class=HTMLResponse)
def share_form(
    asset_id: PathId, request: Request, user: PageUser, db: DbSession,
    recipients: Annotated[str, Form(max_length=20000)] = "",
    deal_id: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:  # fmt: skip
    ids, emails = _recipients(recipients)
    deal = int(deal_id) if deal_id.isdigit() and len(deal_id) < 10 else None
    try:
        body = ShareIn(contact_ids=ids, emails=emails, deal_id=deal, note=note or None)
        result = shares.share(db, asset_id=asset_id, request=body, by=user,
                              settings=request.app.state.settings,
                              base_url=str(request.base_url))  # fmt: skip
    except service.NotFound as exc:
        raise _not_found(exc) from None
    except service.ContentError as exc:
        return _asset_page(request, db, user, asset_id, errors={"share": str(exc)}, status=422)
    except ValidationError:
        message = f"at most {shares.MAX_RECIPIENTS} recipients per share"
        return _asset_page(request, db, user, asset_id, errors={"share": message}, status=422)
    return _asset_page(request, db, user, asset_id, result=result,
                       status=200 if result.links else 422)  # fmt: skip


@router.post("/content/{asset_id}/feedback", response_model=None)
def feedback_form(
    asset_id: PathId, request: Request, user: PageUser, db: DbSession,
    rating: Annotated[str, Form(max_length=2)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse | RedirectResponse:  # fmt: skip
    try:
        body = FeedbackIn(rating=int(rating) if rating.isdigit() else 0, comment=comment or None)
    except ValidationError:
        return _asset_page(request, db, user, asset_id,
                           errors={"feedback": "rating: choose 1 to 5"}, status=422)  # fmt: skip
    try:
        shares.rate(db, asset_id=asset_id, by=user, feedback=body)
    except service.ContentError as exc:
        raise _not_found(exc) from None
    return RedirectResponse(f"/content/{asset_id}#feedback", status_code=303)


@router.post("/content/{asset_id}/deals", response_model=None)
def deal_use_form(
    asset_id: PathId, request: Request, user: PageUser, db: DbSession,
    deal_id: Annotated[str, Form(max_length=12)] = "",
) -> HTMLResponse | RedirectResponse:  # fmt: skip
    if not (deal_id.isdigit() and len(deal_id) < 10):
        return _asset_page(request, db, user, asset_id,
                           errors={"deals": "deal: give the deal's id"}, status=422)  # fmt: skip
    try:
        shares.use_in_deal(db, asset_id=asset_id, deal_id=int(deal_id), by=user,
                           settings=request.app.state.settings)  # fmt: skip
    except service.NotAllowed as exc:
        raise _not_found(exc) from None
    except service.ContentError as exc:
        return _asset_page(request, db, user, asset_id, errors={"deals": str(exc)}, status=422)
    return RedirectResponse(f"/content/{asset_id}#deals", status_code=303)


# --- the tracked link -----------------------------------------------------------------------


def _neutral(request: Request, status: int, heading: str, text: str) -> HTMLResponse:
    return _render(request, "content_link.html", {"heading": heading, "text": text}, status)


def _open(request: Request, token: str, visitor: str, tag: str | None) -> shares.Opened:
    from tandem.db import session_scope

    settings = request.app.state.settings
    with session_scope(request.app.state.session_factory) as db:
        return shares.open_link(db, token=token, visitor=visitor, tag=tag, now=utcnow(),
                                settings=settings)  # fmt: skip


@public.get("/c/{token}", response_model=None)
async def open_link(token: str, request: Request, background: BackgroundTasks) -> Response:
    """A recipient's personal link: records the view, then the asset. Nothing on the answer
    names a record: an unknown token is a plain 404 page. The database work is one hop to a
    worker thread (a link open is the busiest public request)."""
    visitor, tag = links.read_cookie(request.cookies.get(links.VISITOR_COOKIE))
    new_visitor = visitor is None
    visitor = visitor or links.new_visitor()
    settings = request.app.state.settings
    opened = await run_in_threadpool(_open, request, token, visitor, tag)
    if opened.outcome == "unknown":
        return _neutral(
            request,
            404,
            "Link not found",
            "This link is not valid. Ask the person who sent it for a new one.",
        )
    if opened.outcome == "archived":
        return _neutral(request, 410, "No longer available",
                        "This content has been retired. The person who sent it can suggest "
                        "something newer.")  # fmt: skip
    if opened.notify:
        background.add_task(shares.send_notice, settings, opened.notify)
    response: Response
    if opened.outcome == "redirect" and opened.url:
        response = RedirectResponse(opened.url, status_code=302)
    else:
        path = file_path(request, opened.asset_id or 0, opened.file_name or "")
        if not opened.file_name or not path.is_file():
            return _neutral(request, 404, "Link not found",
                            "This content is not available right now.")  # fmt: skip
        response = FileResponse(path, filename=opened.file_name)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    if new_visitor:
        cookie = f"{visitor}.{opened.tag}"
        response.set_cookie(links.VISITOR_COOKIE, cookie, max_age=365 * 86400, path="/c/",
                            httponly=True, samesite="lax",
                            secure=bool(settings.cookie_secure))  # fmt: skip
    return response
