"""JSON twins of the attribution pages under /api/v1/attribution, plus the CSV export."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from tandem.attribution.pages import attribution_config, viewed_retrospective
from tandem.attribution.report import build_report, report_csv
from tandem.attribution.schemas import DIMENSIONS, AttributionReport, Retrospective
from tandem.attribution.service import FilterText, OpportunityNotFound, parse_filters
from tandem.web.deps import ApiUser, DbSession
from tandem.web.ids import PathId

router = APIRouter(prefix="/api/v1/attribution", tags=["attribution"])
EXPORTS = (*DIMENSIONS, "roi")
Filters = Annotated[FilterText, Depends()]


def _report(db: DbSession, raw: FilterText) -> AttributionReport:
    filters, errors = parse_filters(**asdict(raw))
    if errors:
        raise HTTPException(422, errors)
    return build_report(db_session=db, filters=filters, config=attribution_config(), stored=True)


@router.get("", response_model=AttributionReport)
def report(
    db: DbSession,
    user: ApiUser,
    raw: Filters,
) -> AttributionReport:
    """Every model side by side per campaign, channel, asset, team and source, with ROI."""
    return _report(db, raw)


@router.get("/export.csv", response_class=Response)
def export_csv(
    db: DbSession,
    user: ApiUser,
    raw: Filters,
    by: Annotated[str, Query(description=f"One of {', '.join(EXPORTS)}")] = "channel",
) -> Response:
    """The report by one dimension (or campaign ROI) as CSV, safe to open in a spreadsheet."""
    if by not in EXPORTS:
        raise HTTPException(422, {"by": f"{by!r} is not one of {', '.join(EXPORTS)}"})
    built = _report(db, raw)
    name = f"attribution-{built.filters.basis}-by-{by}.csv"
    return Response(
        report_csv(built, by),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/opportunities/{opportunity_id}", response_model=Retrospective)
def retrospective(
    request: Request, db: DbSession, user: ApiUser, opportunity_id: PathId
) -> Retrospective:
    """A deal's every touch in time order with milestones and each model's credit."""
    try:
        return viewed_retrospective(request, db, user, opportunity_id)
    except OpportunityNotFound as exc:
        raise HTTPException(404, str(exc)) from None
