"""The weekly review page (`/reports/weekly`), its PDF and its JSON twin."""

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from tandem.analytics.web import FactsDep
from tandem.db import utcnow
from tandem.reports import service
from tandem.reports.render import context, render_pdf
from tandem.reports.schemas import WeeklyReview
from tandem.web.csrf import verify_csrf
from tandem.web.deps import ApiUser, DbSession, PageUser

pages = APIRouter(dependencies=[Depends(verify_csrf)])
api = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@pages.get("/reports/weekly", response_class=HTMLResponse)
def weekly_page(
    request: Request, db: DbSession, user: PageUser, facts: FactsDep, week: str | None = None
) -> HTMLResponse:
    error, status = None, 200
    try:
        vm = service.build_weekly(db_session=db, facts=facts, as_of=utcnow(), week=week)
    except service.ReportError as exc:
        error, status = f"{exc}; showing the last complete week", 422
        vm = service.build_weekly(db_session=db, facts=facts, as_of=utcnow())
    return request.app.state.templates.TemplateResponse(
        request,
        "report_weekly.html",
        {"user": user, "layout": "base.html", "error": error, **context(vm)},
        status_code=status,
    )


@pages.get("/reports/weekly.pdf")
def weekly_pdf(db: DbSession, user: PageUser, facts: FactsDep, week: str | None = None) -> Response:
    try:
        vm = service.build_weekly(db_session=db, facts=facts, as_of=utcnow(), week=week)
    except service.ReportError as exc:
        raise HTTPException(422, str(exc)) from None
    return Response(
        render_pdf(vm),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="tandem-weekly-{vm.week}.pdf"'},
    )


@api.get("/weekly", response_model=WeeklyReview)
def weekly_json(
    db: DbSession, user: ApiUser, facts: FactsDep, week: str | None = None
) -> WeeklyReview:
    """The weekly revenue review's data (default: the last complete ISO week)."""
    try:
        return service.build_weekly(db_session=db, facts=facts, as_of=utcnow(), week=week)
    except service.ReportError as exc:
        raise HTTPException(422, str(exc)) from None
