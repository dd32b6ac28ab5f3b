"""The records API: edit and delete contacts and accounts, create, edit, move and delete deals,
and their timelines. Edits carry the version they were made from in `If-Match` (the `version`
each answer returns): a stale one answers 409 with the values now stored."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Request, Response
from fastapi.responses import JSONResponse

from tandem.accounts import edit as accounts
from tandem.accounts.models import Account
from tandem.auth import permissions
from tandem.contacts import edit as contacts
from tandem.contacts.models import Contact
from tandem.db import utcnow
from tandem.errors import DomainError
from tandem.ids import ID_RULE, MAX_ID, STRICT_ID
from tandem.opportunities import board as boards
from tandem.opportunities import edit as deals
from tandem.opportunities.models import Opportunity
from tandem.records import editing, timeline
from tandem.records.editing import FieldError, StaleEdit
from tandem.records.models import TimelineEntry
from tandem.records.views import DealRecord, record_values, workspace_currency
from tandem.web.deps import ApiUser, DbSession
from tandem.web.errors import http_error
from tandem.web.ids import PathId

router = APIRouter(prefix="/api/v1", tags=["records"])

_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
WRITE = {
    409: {"description": "Changed by someone else since that version", **_ERROR},
    428: {"description": "If-Match (the version the edit was made from) is missing", **_ERROR},
}
IfMatch = Annotated[
    str | None,
    Header(description='The version the edit was made from, e.g. "3"', max_length=20),
]


def _version(if_match: str | None) -> int:
    if if_match is None:
        raise HTTPException(428, 'send If-Match with the version you edited (e.g. "3")')
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise HTTPException(428, f"If-Match {if_match[:20]!r} is not a version number")
    return int(raw)


def _fail(exc: Exception) -> Exception:
    """A service error as the API answers it."""
    if isinstance(exc, StaleEdit):
        body = {
            "detail": str(exc),
            "current": exc.current,
            "changed_by": exc.by,
            "changed_at": exc.at.isoformat() if exc.at else None,
        }
        return _Answer(JSONResponse(body, status_code=409))
    if isinstance(exc, FieldError):
        detail = [{"loc": ["body", exc.field], "msg": exc.message, "type": "value_error"}]
        return HTTPException(422, detail)
    return http_error(exc)


class _Answer(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _merged(model: Any, record: Any, fields: tuple[str, ...], patch: Any) -> Any:
    """The full edit: the stored values, overwritten by what the PATCH sent."""
    values = {name: getattr(record, name) for name in fields}
    values.update(patch.model_dump(exclude_unset=True))
    return model.model_validate(values)


def _run(work: Any) -> Any:
    try:
        return work()
    except (DomainError, LookupError) as exc:
        failure = _fail(exc)
        if isinstance(failure, _Answer):
            return failure.response
        raise failure from None


@router.patch("/contacts/{contact_id}", responses=WRITE)
def patch_contact(
    request: Request,
    db: DbSession,
    user: ApiUser,
    contact_id: PathId,
    body: contacts.ContactPatch,  # type: ignore[valid-type]
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Edit a contact; a new `lifecycle_stage` moves through the lifecycle."""
    version = _version(if_match)
    contact = _run(lambda: editing.get_or_404(db, Contact, contact_id, "contact"))
    data = _merged(contacts.ContactEdit, contact, contacts.FIELDS, body)
    done = _run(
        lambda: contacts.update_contact(
            db_session=db,
            contact=contact,
            data=data,
            version=version,
            actor=user,
            visible_to=permissions.visible_to(request, user),
            at=utcnow(),
        )
    )
    return done if isinstance(done, Response) else record_values(done, contacts.FIELDS)


@router.delete("/contacts/{contact_id}", status_code=204, responses=WRITE)
def delete_contact(db: DbSession, user: ApiUser, contact_id: PathId) -> Response:
    """Delete a contact (admins and sales managers)."""
    contact = _run(lambda: editing.get_or_404(db, Contact, contact_id, "contact"))
    _run(lambda: contacts.delete_contact(db_session=db, contact=contact, actor=user))
    return Response(status_code=204)


@router.patch("/accounts/{account_id}", responses=WRITE)
def patch_account(
    db: DbSession,
    user: ApiUser,
    account_id: PathId,
    body: accounts.AccountPatch,  # type: ignore[valid-type]
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Edit an account."""
    version = _version(if_match)
    account = _run(lambda: editing.get_or_404(db, Account, account_id, "account"))
    data = _merged(accounts.AccountFields, account, accounts.FIELDS, body)
    done = _run(
        lambda: accounts.update_account(
            db_session=db, account=account, data=data, version=version, actor=user
        )
    )
    return done if isinstance(done, Response) else record_values(done, accounts.FIELDS)


@router.delete("/accounts/{account_id}", status_code=204, responses=WRITE)
def delete_account(db: DbSession, user: ApiUser, account_id: PathId) -> Response:
    """Delete an account (admins and sales managers); its contacts and deals stay."""
    account = _run(lambda: editing.get_or_404(db, Account, account_id, "account"))
    _run(lambda: accounts.delete_account(db_session=db, account=account, actor=user))
    return Response(status_code=204)


@router.get("/opportunities/board", response_model=boards.Board)
def get_board(request: Request, db: DbSession, user: ApiUser) -> boards.Board:
    """The pipeline board: deals by stage, totals in the workspace currency."""
    return boards.board(
        db_session=db,
        viewer=user,
        visible_to=permissions.visible_to(request, user),
        currency=workspace_currency(request),
        as_of=utcnow(),
    )


@router.post("/opportunities", status_code=201, response_model=DealRecord, responses=WRITE)
def create_deal(
    request: Request, db: DbSession, user: ApiUser, body: deals.DealNew
) -> DealRecord | Response:
    """Create a deal on an account you may open (403 otherwise)."""
    deal = _run(
        lambda: deals.create_deal(
            db_session=db,
            data=body,
            actor=user,
            visible_to=permissions.visible_to(request, user),
            currency=workspace_currency(request),
            at=utcnow(),
        )
    )
    return deal if isinstance(deal, Response) else DealRecord.of(deal)


@router.get("/opportunities/{opportunity_id}", response_model=DealRecord)
def get_deal(db: DbSession, user: ApiUser, opportunity_id: PathId) -> DealRecord:
    """A deal's fields, stage and version."""
    return DealRecord.of(_run(lambda: editing.get_or_404(db, Opportunity, opportunity_id, "deal")))


@router.patch("/opportunities/{opportunity_id}", response_model=DealRecord, responses=WRITE)
def patch_deal(
    request: Request,
    db: DbSession,
    user: ApiUser,
    opportunity_id: PathId,
    body: deals.DealPatch,  # type: ignore[valid-type]
    if_match: IfMatch = None,
) -> DealRecord | Response:
    """Edit a deal; a new `stage` moves through the lifecycle."""
    version = _version(if_match)
    deal = _run(lambda: editing.get_or_404(db, Opportunity, opportunity_id, "deal"))
    data = _merged(deals.DealEdit, deal, deals.FIELDS, body)
    done = _run(
        lambda: deals.update_deal(
            db_session=db,
            deal=deal,
            data=data,
            version=version,
            actor=user,
            visible_to=permissions.visible_to(request, user),
            at=utcnow(),
        )
    )
    return done if isinstance(done, Response) else DealRecord.of(done)


@router.post("/opportunities/{opportunity_id}/stage", response_model=DealRecord, responses=WRITE)
def move_deal(
    db: DbSession,
    user: ApiUser,
    opportunity_id: PathId,
    body: deals.StageMove,
    if_match: IfMatch = None,
) -> DealRecord | Response:
    """Move a deal to another stage (the board's move), through the lifecycle."""
    version = _version(if_match)
    deal = _run(lambda: editing.get_or_404(db, Opportunity, opportunity_id, "deal"))
    done = _run(
        lambda: deals.move_deal(
            db_session=db, deal=deal, move=body, version=version, actor=user, at=utcnow()
        )
    )
    return done if isinstance(done, Response) else DealRecord.of(done)


@router.delete("/opportunities/{opportunity_id}", status_code=204, responses=WRITE)
def delete_deal(db: DbSession, user: ApiUser, opportunity_id: PathId) -> Response:
    """Delete a deal (admins and sales managers)."""
    deal = _run(lambda: editing.get_or_404(db, Opportunity, opportunity_id, "deal"))
    _run(lambda: deals.delete_deal(db_session=db, deal=deal, actor=user))
    return Response(status_code=204)


_MODELS = {"contact": Contact, "account": Account, "opportunity": Opportunity}


def _entries(db: Any, kind: timeline.RecordKind, record_id: int) -> list[timeline.EntryView]:
    _run(lambda: editing.get_or_404(db, _MODELS[kind], record_id, kind))
    return timeline.entries_for(db, kind, record_id, utcnow().date())


def _add(db: Any, user: Any, kind: timeline.RecordKind, record_id: int, body: Any) -> Any:
    record = _run(lambda: editing.get_or_404(db, _MODELS[kind], record_id, kind))
    entry = _run(
        lambda: timeline.add_entry(
            db_session=db, record_kind=kind, record=record, data=body, actor=user, at=utcnow()
        )
    )
    return (
        entry if isinstance(entry, Response) else {"id": entry.id, "activity_id": entry.activity_id}
    )


def _entry_routes(kind: timeline.RecordKind, plural: str) -> None:
    """GET and POST /{plural}/{id}/entries: a record's timeline, and adding to it (a call or
    meeting with a contact to credit is also an activity)."""
    param = f"{kind}_id"
    RecordId = Annotated[int, Path(alias=param, description=ID_RULE, ge=1, le=MAX_ID), STRICT_ID]

    def listed(db: DbSession, user: ApiUser, record_id: RecordId) -> list[timeline.EntryView]:
        return _entries(db, kind, record_id)

    def added(db: DbSession, user: ApiUser, record_id: RecordId, body: timeline.EntryIn):
        return _add(db, user, kind, record_id, body)

    path = f"/{plural}/{{{param}}}/entries"
    listed.__name__, added.__name__ = f"{kind}_entries", f"add_{kind}_entry"
    listed.__doc__ = f"The {kind}'s notes, tasks, calls and meetings, newest first."
    added.__doc__ = f"Add a note, task, call or meeting to the {kind}."
    router.add_api_route(path, listed, methods=["GET"], response_model=list[timeline.EntryView])
    router.add_api_route(path, added, methods=["POST"], status_code=201, response_model=None)


for _kind, _plural in (
    ("contact", "contacts"),
    ("account", "accounts"),
    ("opportunity", "opportunities"),
):
    _entry_routes(_kind, _plural)  # type: ignore[arg-type]


@router.get("/tasks", response_model=list[timeline.EntryView])
def my_tasks(db: DbSession, user: ApiUser) -> Any:
    """The caller's open tasks, soonest due first; `overdue` marks the late ones."""
    return timeline.open_tasks(db, user.id, utcnow().date(), timeline.SHOWN)


@router.patch("/entries/{entry_id}", response_model=timeline.EntryView)
def patch_entry(db: DbSession, user: ApiUser, entry_id: PathId, body: timeline.TaskDone) -> Any:
    """Mark a task done (or open again)."""
    entry = _run(lambda: editing.get_or_404(db, TimelineEntry, entry_id, "entry"))
    _run(
        lambda: timeline.set_done(
            db_session=db, entry=entry, done=body.done, actor=user, at=utcnow()
        )
    )
    return timeline.view_of(db, entry.id, utcnow().date())
