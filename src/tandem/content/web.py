"""The content insights: dashboard and gap matrix pages, and their JSON twins.

Handlers only translate: every view-model comes from `tandem.content.analytics_service`, the
page renders it and the API returns the same object. Suggestions follow the record: a rep
asks for their own contacts and deals (permission rows in `tandem.content.web_access`).
"""

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from tandem.analytics.web import FactsDep
from tandem.content import analytics_service as service
from tandem.content.analytics_schemas import (
    BacktestReport,
    GapsReport,
    InfluenceReport,
    InsightsPage,
    SuggestReport,
)
from tandem.db import utcnow
from tandem.errors import DomainError, NotFound
from tandem.web.csrf import verify_csrf
from tandem.web.deps import ApiUser, DbSession, PageUser
from tandem.web.ids import PathId
from tandem.web.pages import render

pages = APIRouter(dependencies=[Depends(verify_csrf)], tags=["content"])
api = APIRouter(prefix="/api/v1/content", tags=["content"])


@pages.get("/content/insights", response_class=HTMLResponse)
def insights(request: Request, db: DbSession, user: PageUser, facts: FactsDep) -> HTMLResponse:
    vm = service.insights_page(db, facts=facts, as_of=utcnow())
    return render(request, "content_insights.html", vm=vm, user=user)


@pages.get("/content/gaps", response_class=HTMLResponse)
def gaps_page(
    request: Request, db: DbSession, user: PageUser, facts: FactsDep, by_product: bool = False
) -> HTMLResponse:
    vm = service.gaps_report(db, facts=facts, as_of=utcnow(), by_product=by_product)
    return render(request, "content_gaps.html", vm=vm, by_product=by_product, user=user)


@api.get("/insights", response_model=InsightsPage)
def insights_json(db: DbSession, user: ApiUser, facts: FactsDep) -> InsightsPage:
    return service.insights_page(db, facts=facts, as_of=utcnow())


@api.get("/influence", response_model=InfluenceReport)
def influence_json(
    db: DbSession, user: ApiUser, facts: FactsDep, by: str = "asset"
) -> InfluenceReport:
    try:
        return service.influence_report(db, facts=facts, as_of=utcnow(), by=by)
    except DomainError as exc:
        raise HTTPException(422, str(exc)) from None


@api.get("/gaps", response_model=GapsReport)
def gaps_json(
    db: DbSession, user: ApiUser, facts: FactsDep, by_product: bool = False
) -> GapsReport:
    return service.gaps_report(db, facts=facts, as_of=utcnow(), by_product=by_product)


@api.get("/suggest/contacts/{contact_id}", response_model=SuggestReport)
def suggest_contact(
    contact_id: PathId, db: DbSession, user: ApiUser, facts: FactsDep
) -> SuggestReport:
    return _suggest(db, facts, contact_id=contact_id)


@api.get("/suggest/deals/{opportunity_id}", response_model=SuggestReport)
def suggest_deal(
    opportunity_id: PathId, db: DbSession, user: ApiUser, facts: FactsDep
) -> SuggestReport:
    return _suggest(db, facts, deal_id=opportunity_id)


def _suggest(db, facts, **who: int) -> SuggestReport:
    try:
        return service.suggest_report(db, facts=facts, as_of=utcnow(), **who)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None


@api.get(
    "/backtest",
    response_model=BacktestReport,
    responses={422: {"description": "Too few won deals with content to backtest on"}},
)
def backtest_json(db: DbSession, user: ApiUser, facts: FactsDep) -> BacktestReport:
    try:
        return service.backtest_report(db, facts=facts, as_of=utcnow())
    except DomainError as exc:
        raise HTTPException(422, str(exc)) from None
