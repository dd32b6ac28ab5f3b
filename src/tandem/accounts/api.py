"""The accounts JSON API: the list, an account's ABM panel and packet, committee roles, the
ABM dashboard. Handlers only translate; `views`, `committees` and `service` do the work."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from tandem.accounts import committees, views
from tandem.accounts import service as accounts
from tandem.accounts.errors import InvalidInput
from tandem.accounts.models import Account
from tandem.auth import permissions
from tandem.db import utcnow
from tandem.ids import BodyId
from tandem.lists.api import BAD, ListPage, list_json
from tandem.lists.catalog import ACCOUNTS
from tandem.web.deps import ApiUser, DbSession
from tandem.web.ids import PathId

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.get("/accounts", responses=BAD)
def account_list(request: Request, user: ApiUser, db: DbSession) -> ListPage:
    """The accounts list as JSON (`tandem.lists`: the same parameters as the page)."""
    return list_json(request, db, user, ACCOUNTS)


def _account(db: Any, account_id: int) -> None:
    if db.get(Account, account_id) is None:
        raise HTTPException(404, f"no account with id {account_id}")


@router.get("/accounts/{account_id}/abm")
def abm_panel(request: Request, user: ApiUser, db: DbSession, account_id: PathId) -> dict[str, Any]:
    _account(db, account_id)
    return views.account_panel(
        db, account_id, as_of=utcnow(), visible_to=permissions.visible_to(request, user)
    )


@router.get("/accounts/{account_id}/packet")
def packet(request: Request, user: ApiUser, db: DbSession, account_id: PathId) -> dict[str, Any]:
    try:
        return accounts.account_packet(
            db_session=db, account_id=account_id, visible_to=permissions.visible_to(request, user)
        )
    except accounts.AccountNotFound as exc:
        raise HTTPException(404, str(exc)) from None


class RoleIn(BaseModel):
    contact_id: BodyId
    role: str = Field(min_length=1, max_length=40)
    opportunity_id: BodyId | None = None


@router.post("/accounts/{account_id}/committee")
def assign_role(user: ApiUser, db: DbSession, account_id: PathId, body: RoleIn) -> dict[str, Any]:
    _account(db, account_id)
    try:
        committees.assign(
            db,
            account_id=account_id,
            contact_id=body.contact_id,
            role=body.role,
            user_id=user.id,
            opportunity_id=body.opportunity_id,
        )
    except InvalidInput as exc:
        raise HTTPException(422, exc.problems) from None
    return {"account_id": account_id, "contact_id": body.contact_id, "role": body.role}


@router.get("/abm")
def dashboard(user: ApiUser, db: DbSession) -> dict[str, Any]:
    return views.dashboard(db, as_of=utcnow())
