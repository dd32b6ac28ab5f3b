"""The records pages: new and edit forms for contacts, accounts and deals, the deal page, the
pipeline board, timeline entries and a person's open tasks. Handlers only translate: the
services in contacts/accounts/opportunities/records do the work."""

import inspect
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts import edit as accounts
from tandem.accounts.models import Account
from tandem.auth import permissions
from tandem.auth.models import User
from tandem.contacts import edit as contacts
from tandem.contacts.models import Contact
from tandem.db import utcnow
from tandem.errors import DomainError
from tandem.ids import ID_RULE, MAX_ID, STRICT_ID, BadId, parse_id
from tandem.opportunities import board as boards
from tandem.opportunities import edit as deals
from tandem.opportunities.models import Opportunity
from tandem.records import editing, forms, timeline
from tandem.records.editing import FieldError, StaleEdit
from tandem.records.models import EntryKind, TimelineEntry
from tandem.records.views import deal_page, timeline_context, workspace_currency
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.errors import http_error
from tandem.web.ids import PathId, QueryId
from tandem.web.pages import render

router = APIRouter(dependencies=[Depends(verify_csrf)])

MAX_OWNERS = 500  # the owner select lists active users, by name


def _owners(db: Session) -> list[tuple[int, str]]:
    rows = db.execute(
        select(User.id, User.name)
        .where(User.is_active.is_(True))
        .order_by(User.name)
        .limit(MAX_OWNERS)
    )
    return [(i, n) for i, n in rows]


class _Form:
    """One record kind's form: its inputs, where it goes and its path parameter."""

    def __init__(self, kind: str, plural: str, inputs: tuple[forms.Input, ...], label: str):
        self.kind, self.plural, self.inputs, self.label = kind, plural, inputs, label
        self.param = f"{kind}_id"


CONTACT = _Form("contact", "contacts", forms.CONTACT, "contact")
ACCOUNT = _Form("account", "accounts", forms.ACCOUNT, "account")
DEAL = _Form("opportunity", "opportunities", forms.DEAL, "deal")


def _per_record(method: str, suffix: str, handler: Callable[..., Any]) -> None:
    """Serve `handler(request, db, user, form, record_id)` at METHOD /{plural}/{id}{suffix}
    for contacts, accounts and deals (the path names `contact_id`... for the permission
    table's object rule; the id is parsed as strictly as every other)."""
    for form in (CONTACT, ACCOUNT, DEAL):
        _add_route(form, method, suffix, handler)


def _add_route(form: _Form, method: str, suffix: str, handler: Callable[..., Any]) -> None:
    RecordId = Annotated[
        int, Path(alias=form.param, description=ID_RULE, ge=1, le=MAX_ID), STRICT_ID
    ]

    async def endpoint(request: Request, db: DbSession, user: PageUser, record_id: RecordId):
        answer = handler(request, db, user, form, record_id)
        return await answer if inspect.isawaitable(answer) else answer

    endpoint.__name__ = f"{handler.__name__.strip('_')}_{form.kind}"
    router.add_api_route(
        f"/{form.plural}/{{{form.param}}}{suffix}",
        endpoint,
        methods=[method],
        response_model=None,
        response_class=HTMLResponse,
    )


def _show(
    request: Request,
    db: Session,
    user: User,
    form: _Form,
    *,
    inputs: tuple[forms.Input, ...],
    values: dict[str, Any],
    action: str,
    title: str,
    version: int | None = None,
    errors: dict[str, str] | None = None,
    conflict: StaleEdit | None = None,
    status: int = 200,
    back: str,
    stage_now: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "record_form.html",
        status_code=status,
        user=user,
        form=form,
        inputs=inputs,
        values=values,
        action=action,
        title=title,
        record_version=version,
        errors=errors or {},
        conflict=conflict,
        owners=_owners(db),
        back=back,
        stage_now=stage_now,
    )


def _version(raw: Any) -> int | None:
    try:
        return parse_id(raw) if isinstance(raw, str) else None
    except BadId:
        return None


async def _raw(request: Request) -> dict[str, Any]:
    return dict(await request.form())


def _failed(exc: Exception) -> tuple[dict[str, str], StaleEdit | None, int]:
    """A service error as the form shows it: (field messages, conflict, status)."""
    if isinstance(exc, StaleEdit):
        return {"form": str(exc)}, exc, 409
    if isinstance(exc, FieldError):
        return {exc.field: exc.message}, None, 422
    raise http_error(exc) from None


def _list_of(form: _Form) -> str:
    """Where a new form's Cancel goes: the record's list."""
    return f"/{form.plural}"


# --- new -----------------------------------------------------------------------------------


def _new_inputs(form: _Form) -> tuple[forms.Input, ...]:
    if form is CONTACT:
        return (*form.inputs, forms.CONTACT_STAGE[0])
    if form is DEAL:
        return (*form.inputs, *forms.DEAL_STAGE)
    return form.inputs


@router.get("/contacts/new", response_class=HTMLResponse)
def new_contact(request: Request, db: DbSession, user: PageUser, account_id: QueryId = None):
    values = {"account_id": account_id, "owner_id": user.id, "lifecycle_stage": "lead"}
    return _new_form(request, db, user, CONTACT, values)


@router.get("/accounts/new", response_class=HTMLResponse)
def new_account(request: Request, db: DbSession, user: PageUser):
    return _new_form(request, db, user, ACCOUNT, {"owner_id": user.id})


@router.get("/opportunities/new", response_class=HTMLResponse)
def new_deal(request: Request, db: DbSession, user: PageUser, account_id: QueryId = None):
    values = {"account_id": account_id, "owner_id": user.id, "stage": "discovery"}
    values["currency"] = workspace_currency(request)
    return _new_form(request, db, user, DEAL, values)


def _new_form(request: Request, db: Session, user: User, form: _Form, values: dict[str, Any]):
    return _show(
        request,
        db,
        user,
        form,
        inputs=_new_inputs(form),
        values=values,
        action=f"/{form.plural}/new",
        title=f"New {form.label}",
        back=_list_of(form),
    )


@router.post("/contacts/new", response_model=None)
async def create_contact(request: Request, db: DbSession, user: PageUser) -> Response:
    return await _create(request, db, user, CONTACT)


@router.post("/accounts/new", response_model=None)
async def create_account(request: Request, db: DbSession, user: PageUser) -> Response:
    return await _create(request, db, user, ACCOUNT)


@router.post("/opportunities/new", response_model=None)
async def create_deal(request: Request, db: DbSession, user: PageUser) -> Response:
    return await _create(request, db, user, DEAL)


async def _create(request: Request, db: Session, user: User, form: _Form) -> Response:
    inputs = _new_inputs(form)
    values = forms.posted(await _raw(request), inputs)
    model = {CONTACT: contacts.ContactNew, ACCOUNT: accounts.AccountFields, DEAL: deals.DealNew}
    data, errors = forms.read(model[form], values)
    visible_to = permissions.visible_to(request, user)
    if data is not None:
        try:
            if form is CONTACT:
                record: Any = contacts.create_contact(
                    db_session=db, data=data, actor=user, visible_to=visible_to, at=utcnow()
                )
            elif form is ACCOUNT:
                record = accounts.create_account(db_session=db, data=data, actor=user)
            else:
                record = deals.create_deal(
                    db_session=db,
                    data=data,
                    actor=user,
                    visible_to=visible_to,
                    currency=workspace_currency(request),
                    at=utcnow(),
                )
            return RedirectResponse(f"/{form.plural}/{record.id}", status_code=303)
        except DomainError as exc:
            errors, _, _ = _failed(exc)
    return _show(
        request,
        db,
        user,
        form,
        inputs=inputs,
        values=values,
        action=f"/{form.plural}/new",
        title=f"New {form.label}",
        errors=errors,
        status=422,
        back=_list_of(form),
    )


# --- edit ----------------------------------------------------------------------------------

_MODEL = {"contact": Contact, "account": Account, "opportunity": Opportunity}


def _edit_inputs(form: _Form) -> tuple[forms.Input, ...]:
    if form is CONTACT:
        return (*form.inputs, *forms.CONTACT_STAGE)
    if form is DEAL:
        return (*form.inputs, *forms.DEAL_STAGE)
    return form.inputs


#: Stage inputs start at "(keep)": a stage moved meanwhile (scoring made the contact an MQL)
#: is not moved back by saving a form that showed the old one.
_STAGES = frozenset({"lifecycle_stage", "stage", "lost_reason"})


def _stage_of(record: Any) -> str | None:
    return getattr(record, "lifecycle_stage", None) or getattr(record, "stage", None)


def _stored(record: Any, inputs: tuple[forms.Input, ...]) -> dict[str, Any]:
    return {i.name: None if i.name in _STAGES else getattr(record, i.name, None) for i in inputs}


def _edit_page(request: Request, db: Session, user: User, form: _Form, record_id: int):
    record = _get(db, form, record_id)
    inputs = _edit_inputs(form)
    return _show(
        request,
        db,
        user,
        form,
        inputs=inputs,
        values=_stored(record, inputs),
        stage_now=_stage_of(record),
        action=f"/{form.plural}/{record_id}/edit",
        title=f"Edit {form.label}",
        version=record.version,
        back=f"/{form.plural}/{record_id}",
    )


def _get(db: Session, form: _Form, record_id: int) -> Any:
    try:
        return editing.get_or_404(db, _MODEL[form.kind], record_id, form.label)
    except DomainError as exc:
        raise http_error(exc) from None


async def _save(request: Request, db: Session, user: User, form: _Form, record_id: int):
    record = _get(db, form, record_id)
    inputs = _edit_inputs(form)
    raw = await _raw(request)
    values = forms.posted(raw, inputs)
    version = _version(raw.get("version"))
    model = {CONTACT: contacts.ContactEdit, ACCOUNT: accounts.AccountFields, DEAL: deals.DealEdit}
    data, errors = forms.read(model[form], values)
    conflict, status = None, 422
    if version is None:
        errors["form"] = "the form lost its version: reload the page and edit again"
    elif data is not None:
        try:
            _update(request, db, user, form, record, data, version)
            return RedirectResponse(f"/{form.plural}/{record_id}", status_code=303)
        except DomainError as exc:
            errors, conflict, status = _failed(exc)
    return _show(
        request,
        db,
        user,
        form,
        inputs=inputs,
        values=values,
        action=f"/{form.plural}/{record_id}/edit",
        title=f"Edit {form.label}",
        # After a conflict the form names the stored version: saving again is a choice made
        # seeing the other person's values, and overwrites them.
        version=conflict.current["version"] if conflict else version,
        errors=errors,
        conflict=conflict,
        stage_now=_stage_of(record),
        status=status,
        back=f"/{form.plural}/{record_id}",
    )


def _update(
    request: Request, db: Session, user: User, form: _Form, record: Any, data: Any, version: int
) -> None:
    visible_to = permissions.visible_to(request, user)
    if form is CONTACT:
        contacts.update_contact(
            db_session=db,
            contact=record,
            data=data,
            version=version,
            actor=user,
            visible_to=visible_to,
            at=utcnow(),
        )
    elif form is ACCOUNT:
        accounts.update_account(
            db_session=db, account=record, data=data, version=version, actor=user
        )
    else:
        deals.update_deal(
            db_session=db,
            deal=record,
            data=data,
            version=version,
            actor=user,
            visible_to=visible_to,
            at=utcnow(),
        )


# --- delete --------------------------------------------------------------------------------


def _delete(request: Request, db: Session, user: User, form: _Form, record_id: int) -> Response:
    record = _get(db, form, record_id)
    fields = {CONTACT: contacts.FIELDS, ACCOUNT: accounts.FIELDS, DEAL: (*deals.FIELDS, "stage")}
    try:
        editing.delete(db, record=record, kind=form.kind, actor=user, fields=fields[form])
    except DomainError as exc:
        raise http_error(exc) from None
    to = "/opportunities/board" if form is DEAL else "/contacts"
    return RedirectResponse(to, status_code=303)


# --- the deal page and the board -----------------------------------------------------------


@router.get("/opportunities/board", response_class=HTMLResponse)
def board_page(request: Request, db: DbSession, user: PageUser, moved: QueryId = None):
    view = boards.board(
        db_session=db,
        viewer=user,
        visible_to=permissions.visible_to(request, user),
        currency=workspace_currency(request),
        as_of=utcnow(),
    )
    return render(request, "opportunity_board.html", user=user, b=view, error=None, moved=moved)


@router.get("/opportunities/{opportunity_id}", response_class=HTMLResponse)
def deal_view(request: Request, db: DbSession, user: PageUser, opportunity_id: PathId):
    try:
        view = deal_page(db, opportunity_id, permissions.visible_to(request, user))
    except DomainError as exc:
        raise http_error(exc) from None
    return render(
        request,
        "opportunity.html",
        user=user,
        d=view,
        moves=forms.DEAL_STAGE,
        may_move=user.role in boards.MOVERS,
        **timeline_context(db, user, "opportunity", opportunity_id, utcnow().date()),
    )


@router.post("/opportunities/{opportunity_id}/stage", response_model=None)
async def move_deal(request: Request, db: DbSession, user: PageUser, opportunity_id: PathId):
    deal = _get(db, DEAL, opportunity_id)
    raw = await _raw(request)
    values = forms.posted(raw, (forms.DEAL_STAGE[0], forms.DEAL_STAGE[1]))
    values["reason"] = forms.posted(raw, (forms.DEAL_STAGE[2],)).get("stage_reason")
    back = "/opportunities/board" if raw.get("back") == "board" else f"/opportunities/{deal.id}"
    move, errors = forms.read(deals.StageMove, values)
    version = _version(raw.get("version"))
    if move is not None and version is not None:
        try:
            deals.move_deal(
                db_session=db, deal=deal, move=move, version=version, actor=user, at=utcnow()
            )
            return RedirectResponse(f"{back}?moved={deal.id}", status_code=303)
        except DomainError as exc:
            errors, _, _ = _failed(exc)
    view = boards.board(
        db_session=db,
        viewer=user,
        visible_to=permissions.visible_to(request, user),
        currency=workspace_currency(request),
        as_of=utcnow(),
    )
    message = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in errors.items()) or (
        "the form lost its version: reload the board"
    )
    return render(
        request,
        "opportunity_board.html",
        status_code=409 if "form" in errors else 422,
        user=user,
        b=view,
        error=f"{deal.name} was not moved. {message}",
        moved=None,
    )


# --- timeline entries and tasks ------------------------------------------------------------

ENTRY_INPUTS = (
    forms.Input("kind", "Kind", "select"),
    forms.Input("subject", "Subject", maxlength=200),
    forms.Input("body", "Details", "textarea", maxlength=5000),
    forms.Input("occurred_at", "When", "datetime"),
    forms.Input("due_on", "Due", "date"),
    forms.Input("owner_id", "Owner", "select"),
)


async def _add_entry(
    request: Request, db: Session, user: User, form: _Form, record_id: int
) -> Response:
    record = _get(db, form, record_id)
    values = forms.posted(await _raw(request), ENTRY_INPUTS)
    data, errors = forms.read(timeline.EntryIn, values)
    if data is not None:
        try:
            timeline.add_entry(
                db_session=db,
                record_kind=form.kind,
                record=record,
                data=data,
                actor=user,
                at=utcnow(),
            )
            return RedirectResponse(f"/{form.plural}/{record_id}#entries", status_code=303)
        except DomainError as exc:
            errors, _, _ = _failed(exc)
    return render(
        request,
        "record_entry_error.html",
        status_code=422,
        user=user,
        errors=errors,
        values=values,
        back=f"/{form.plural}/{record_id}",
        kinds=list(EntryKind),
        action=f"/{form.plural}/{record_id}/entries",
        owners=_owners(db),
    )


@router.post("/entries/{entry_id}/done")
async def task_done(request: Request, db: DbSession, user: PageUser, entry_id: PathId):
    entry = db.get(TimelineEntry, entry_id)
    if entry is None:
        raise HTTPException(404, f"no task {entry_id}")
    raw = await _raw(request)
    try:
        timeline.set_done(
            db_session=db, entry=entry, done=raw.get("done") != "0", actor=user, at=utcnow()
        )
    except DomainError as exc:
        raise http_error(exc) from None
    back = raw.get("back")
    target = (
        back
        if isinstance(back, str) and back.startswith("/") and not back.startswith("//")
        else "/tasks"
    )
    return RedirectResponse(target, status_code=303)


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, db: DbSession, user: PageUser):
    today = utcnow().date()
    tasks = timeline.open_tasks(db, user.id, today, timeline.SHOWN)
    return render(request, "tasks.html", user=user, tasks=tasks, today=today)


_per_record("GET", "/edit", _edit_page)
_per_record("POST", "/edit", _save)
_per_record("POST", "/delete", _delete)
_per_record("POST", "/entries", _add_entry)
