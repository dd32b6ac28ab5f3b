"""The audit log page (/audit), its JSON twin (/api/v1/audit) and CSV export.

Read-only: there is no route that changes or removes an event. Who may read it is set in
tandem.auth.permissions (admins and sales managers).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from tandem.audit.schemas import AuditFilters, AuditPage
from tandem.audit.views import MAX_EXPORT_ROWS, audit_csv, audit_page, export_size, parse_day
from tandem.web.csrf import verify_csrf
from tandem.web.deps import ApiUser, DbSession, PageUser
from tandem.web.pages import render
from tandem.web.paging import PageNumber, PageSize

pages = APIRouter(dependencies=[Depends(verify_csrf)])
api = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def _filters(
    actor: str | None = None,
    entity_type: str | None = None,
    action: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> tuple[AuditFilters, dict[str, str], dict[str, str]]:
    errors: dict[str, str] = {}
    filters = AuditFilters(
        actor=actor or None,
        entity_type=entity_type or None,
        action=action or None,
        start=parse_day(start, "start", errors),
        end=parse_day(end, "end", errors, end=True),
    )
    form = {
        "actor": actor or "",
        "entity_type": entity_type or "",
        "action": action or "",
        "start": start or "",
        "end": end or "",
    }
    return filters, errors, form


Filters = Annotated[tuple[AuditFilters, dict[str, str], dict[str, str]], Depends(_filters)]


@pages.get("/audit", response_class=HTMLResponse)
def audit_log_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    given: Filters,
    page: PageNumber = 1,
) -> HTMLResponse:
    filters, errors, form = given
    view = audit_page(
        db_session=db, filters=filters, page=page, page_size=request.app.state.settings.page_size
    )
    return render(
        request,
        "audit.html",
        status_code=422 if errors else 200,
        user=user,
        log=view,
        errors=errors,
        form=form,
        query=urlencode(form),
    )


@api.get("", response_model=AuditPage)
def audit_log(
    db: DbSession,
    user: ApiUser,
    given: Filters,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> AuditPage:
    """Audit events newest first, filtered by actor (email, user id or `system`), entity
    type, action (or action prefix) and date range (`start`, `end`: YYYY-MM-DD, UTC)."""
    filters, errors, _ = given
    if errors:
        raise HTTPException(422, errors)
    return audit_page(db_session=db, filters=filters, page=page, page_size=page_size)


@api.get("/export.csv")
def audit_export(
    request: Request, db: DbSession, user: ApiUser, given: Filters
) -> StreamingResponse:
    """Every matching event as CSV (oldest first), safe to open in a spreadsheet; at most
    100,000 events (422 above: narrow the filters)."""
    filters, errors, _ = given
    if errors:
        raise HTTPException(422, errors)
    size = export_size(db_session=db, filters=filters)
    if size > MAX_EXPORT_ROWS:
        raise HTTPException(
            422,
            f"the export would hold {size:,} events, over the limit of {MAX_EXPORT_ROWS:,}: "
            "narrow the date range or the filters",
        )
    return StreamingResponse(
        audit_csv(session_factory=request.app.state.session_factory, filters=filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tandem-audit.csv"'},
    )
