"""The attribution pages: /attribution and /opportunities/{id}/retrospective (HTML).

Handlers only translate: the report and the retrospective are built by the services, and the
JSON twins in `tandem.attribution.api` return the very same view-models.
"""

from dataclasses import asdict
from datetime import date, timedelta
from functools import lru_cache
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from tandem.analytics.web import facts_cache
from tandem.attribution import AttributionConfig, default_config
from tandem.attribution.chart import dot_chart
from tandem.attribution.report import build_report
from tandem.attribution.retrospective import build_retrospective, for_viewer
from tandem.attribution.schemas import DIMENSIONS, AttributionFilters, Retrospective
from tandem.attribution.service import FilterText, OpportunityNotFound, parse_filters
from tandem.auth import permissions, visibility
from tandem.auth.models import User
from tandem.db import utcnow
from tandem.metrics import service as metrics
from tandem.metrics.engine import engine_for
from tandem.metrics.schemas import FigureOut
from tandem.metrics.spec import Window
from tandem.web.csrf import verify_csrf
from tandem.web.deps import DbSession, PageUser
from tandem.web.ids import PathId
from tandem.web.pages import render

router = APIRouter(dependencies=[Depends(verify_csrf)], tags=["attribution"])


@lru_cache(maxsize=1)
def attribution_config() -> AttributionConfig:
    """The attribution configuration the web app uses (the shipped default.yaml)."""
    return default_config()


def viewed_retrospective(
    request: Request, db: DbSession, user: User, opportunity_id: int
) -> Retrospective:
    """The retrospective as `user` may see it: touches of contacts they may not open are
    unnamed (the object rule of tandem.auth.visibility, on a list the page embeds)."""
    retro = build_retrospective(
        db_session=db, opportunity_id=opportunity_id, config=attribution_config()
    )
    touched = {e.contact_id for e in retro.events if e.contact_id is not None}
    scope = permissions.visible_to(request, user)
    return for_viewer(retro, visibility.readable_contacts(db, touched, scope))


def filter_query(filters: AttributionFilters) -> dict[str, str]:
    """The filters as query-string values, to keep them across links."""
    values = filters.model_dump(exclude_none=True, exclude={"opportunity_ids"})
    return {k: str(v) for k, v in values.items()}


@router.get("/attribution", response_class=HTMLResponse)
def attribution_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    raw: Annotated[FilterText, Depends()],
    by: str = "channel",
) -> HTMLResponse:
    filters, errors = parse_filters(**asdict(raw))
    if by not in DIMENSIONS:
        errors["by"] = f"{by!r} is not a breakdown; use one of {', '.join(DIMENSIONS)}"
        by = "channel"
    report = build_report(db_session=db, filters=filters, config=attribution_config(), stored=True)
    shown = next(b for b in report.breakdowns if b.dimension == by)
    figure = registry_figure(facts_cache(request.app).get(db), filters)
    query = filter_query(filters)
    return render(
        request,
        "attribution_report.html",
        status_code=422 if errors else 200,
        user=user,
        report=report,
        by=by,
        breakdown=shown,
        chart=dot_chart(shown, report.models),
        dimensions=DIMENSIONS,
        errors=errors,
        form={name: value or "" for name, value in asdict(raw).items()},
        query=urlencode(query),
        query_by=urlencode({**query, "by": by}),
        figure=figure,
    )


def registry_figure(facts, filters: AttributionFilters) -> FigureOut:
    """What the registry says of the revenue this report spreads (won revenue by close date,
    or pipeline by creation date) over the same days and filters: the one number to check
    the attribution total against. No start: from the first day of the epoch."""
    as_of = utcnow()
    last = filters.end or as_of.date()
    at = Window(filters.start or date(1970, 1, 1), last + timedelta(days=1), as_of)
    values = {d: v for d in ("segment", "region", "vertical") if (v := getattr(filters, d))}
    name = "revenue_won" if filters.basis == "won" else "pipeline_created"
    return FigureOut.of(metrics.figure(engine_for(facts), name, at, values, strict=False))


@router.get("/opportunities/{opportunity_id}/retrospective", response_class=HTMLResponse)
def retrospective_page(
    request: Request, db: DbSession, user: PageUser, opportunity_id: PathId
) -> HTMLResponse:
    try:
        retro = viewed_retrospective(request, db, user, opportunity_id)
    except OpportunityNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return render(request, "attribution_retrospective.html", user=user, r=retro)
