"""The usage JSON API: the customers dashboard, signals, a signal's packet, an account's
usage section. Routes only translate."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from tandem.analytics.web import FactsDep
from tandem.db import utcnow
from tandem.usage import service, views
from tandem.usage.schemas import AccountUsage, CustomersView, SignalPacket, SignalRow
from tandem.web.deps import ApiUser, DbSession
from tandem.web.ids import PathId

router = APIRouter(prefix="/api/v1", tags=["usage"])
KINDS = ("churn_risk", "expansion", "pql")
#: The retention window in days (ten years at most, the registry's longest window).
Days = Annotated[int, Query(ge=1, le=3660)]
#: Signals listed at most.
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/customers", response_model=CustomersView)
def customers(user: ApiUser, db: DbSession, facts: FactsDep, days: Days = 365) -> CustomersView:
    """Retention over the last `days`, renewals due, health by segment and owner, signals."""
    return views.customers_view(db, as_of=utcnow(), days=days, facts=facts)


@router.get("/usage/signals", response_model=list[SignalRow])
def signals(
    user: ApiUser, db: DbSession, kind: str | None = None, status: str = "open", limit: Limit = 50
) -> list[SignalRow]:
    """Usage signals, newest first (`status=all` for every status)."""
    if kind is not None and kind not in KINDS:
        raise HTTPException(422, f"kind is one of {', '.join(KINDS)}")
    return views.signal_rows(db, kind=kind, status=None if status == "all" else status, limit=limit)


@router.get("/usage/signals/{signal_id}", response_model=SignalPacket)
def packet(user: ApiUser, db: DbSession, signal_id: PathId) -> SignalPacket:
    """One signal with the usage and health behind it (what the account owner is shown)."""
    try:
        return views.signal_packet(db, signal_id=signal_id, as_of=utcnow())
    except service.SignalNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/accounts/{account_id}/usage", response_model=AccountUsage)
def account_usage(user: ApiUser, db: DbSession, account_id: PathId) -> AccountUsage:
    """An account's usage, health over time part by part, limits, unused features, signals."""
    return views.account_usage(db, account_id=account_id, as_of=utcnow())
