"""The JSON API under /api/v1: the same view-models the pages render."""

from fastapi import APIRouter, HTTPException, Request

from tandem import __version__
from tandem.accounts import service as accounts
from tandem.accounts.schemas import AccountDetail
from tandem.analytics.scorecard import Scorecard, build_scorecard
from tandem.analytics.web import facts_cache
from tandem.auth import permissions
from tandem.auth.schemas import UserRead
from tandem.contacts import service as contacts
from tandem.contacts.schemas import ContactDetail, ContactPage
from tandem.db import utcnow
from tandem.lifecycle.stages import Stage
from tandem.web.deps import ApiUser, DbSession
from tandem.web.ids import PathId, QueryId
from tandem.web.paging import PageNumber, PageSize

router = APIRouter(prefix="/api/v1", tags=["core"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness probe (no authentication)."""
    return {"status": "ok", "version": __version__}


@router.get("/me", response_model=UserRead)
def me(user: ApiUser) -> UserRead:
    """The user the credentials belong to."""
    return UserRead.model_validate(user)


@router.get("/scorecard", response_model=Scorecard)
def scorecard(request: Request, db: DbSession, user: ApiUser) -> Scorecard:
    """The home scorecard numbers."""
    facts = facts_cache(request.app).get(db)
    return build_scorecard(db_session=db, facts=facts, as_of=utcnow())


@router.get("/contacts", response_model=ContactPage)
def list_contacts(
    request: Request,
    db: DbSession,
    user: ApiUser,
    q: str | None = None,
    stage: Stage | None = None,
    owner_id: QueryId = None,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> ContactPage:
    """Search and filter contacts."""
    return contacts.list_contacts(
        db_session=db,
        q=q,
        stage=stage.value if stage else None,
        owner_id=owner_id,
        page=page,
        page_size=page_size,
        visible_to=permissions.visible_owner_ids(user, request.app.state.settings),
    )


@router.get("/contacts/{contact_id}", response_model=ContactDetail)
def get_contact(
    request: Request, db: DbSession, user: ApiUser, contact_id: PathId
) -> ContactDetail:
    """A contact with timeline, content consumed, stage history and deals."""
    try:
        return contacts.contact_detail(
            db_session=db,
            contact_id=contact_id,
            visible_to=permissions.visible_to(request, user),
        )
    except contacts.ContactNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/accounts/{account_id}", response_model=AccountDetail)
def get_account(
    request: Request, db: DbSession, user: ApiUser, account_id: PathId
) -> AccountDetail:
    """An account with its buying committee and opportunities (those the caller may open)."""
    try:
        return accounts.account_detail(
            db_session=db,
            account_id=account_id,
            visible_to=permissions.visible_to(request, user),
        )
    except accounts.AccountNotFound as exc:
        raise HTTPException(404, str(exc)) from None
