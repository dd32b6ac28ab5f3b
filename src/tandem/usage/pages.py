"""The customers dashboard (`/customers`) and a signal's page."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from tandem.analytics.web import FactsDep
from tandem.db import utcnow
from tandem.usage import service, views
from tandem.web.deps import DbSession, PageUser
from tandem.web.ids import PathId
from tandem.web.pages import render

router = APIRouter()


@router.get("/customers", response_class=HTMLResponse)
def customers_page(
    request: Request, user: PageUser, db: DbSession, facts: FactsDep
) -> HTMLResponse:
    vm = views.customers_view(db, as_of=utcnow(), facts=facts)
    return render(request, "customers.html", user=user, vm=vm)


@router.get("/customers/signals/{signal_id}", response_class=HTMLResponse)
def signal_page(request: Request, user: PageUser, db: DbSession, signal_id: PathId) -> HTMLResponse:
    try:
        vm = views.signal_packet(db, signal_id=signal_id, as_of=utcnow())
    except service.SignalNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return render(request, "usage_signal.html", user=user, vm=vm, u=vm.account)
