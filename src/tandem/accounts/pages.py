"""The accounts pages: an account's ABM section (a fragment the account page loads), role
confirmation, and the ABM dashboard. The accounts list is `tandem.lists`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem.accounts import committees, views
from tandem.accounts.errors import InvalidInput
from tandem.accounts.models import Account
from tandem.auth import permissions
from tandem.db import utcnow
from tandem.ids import MAX_ID
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.ids import PathId
from tandem.web.pages import render

router = APIRouter(dependencies=[Depends(verify_csrf)])


@router.get("/accounts/{account_id}/abm", response_class=HTMLResponse)
def abm_fragment(
    request: Request, user: PageUser, db: DbSession, account_id: PathId
) -> HTMLResponse:
    if db.get(Account, account_id) is None:
        raise HTTPException(404, f"no account with id {account_id}")
    panel = views.account_panel(
        db, account_id, as_of=utcnow(), visible_to=permissions.visible_to(request, user)
    )
    return render(request, "accounts_abm_panel.html", user=user, p=panel)


@router.post("/accounts/{account_id}/committee", response_model=None)
def assign_role(
    user: PageUser,
    db: DbSession,
    account_id: PathId,
    contact_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    role: Annotated[str, Form()] = "",
) -> Response:
    if contact_id is None or not role:
        raise HTTPException(422, "choose a contact and a role")
    try:
        committees.assign(
            db, account_id=account_id, contact_id=contact_id, role=role, user_id=user.id
        )
    except InvalidInput as exc:
        raise HTTPException(422, str(exc)) from None
    return RedirectResponse(f"/accounts/{account_id}#abm", status_code=303)


@router.get("/abm", response_class=HTMLResponse)
def dashboard(request: Request, user: PageUser, db: DbSession) -> HTMLResponse:
    return render(
        request, "accounts_dashboard.html", user=user, d=views.dashboard(db, as_of=utcnow())
    )
