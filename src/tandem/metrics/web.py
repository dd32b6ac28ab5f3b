"""Metrics in the browser and the API: `/metrics` (every definition), `/metrics/{metric}` (one
figure, its window, filters and breakdown), `/metrics/{metric}/records` (the rows behind it,
paged, and as CSV), and the same under `/api/v1/metrics`. Handlers only translate."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from tandem.analytics.charts import fmt, label
from tandem.analytics.web import FactsDep
from tandem.auth import permissions
from tandem.csv_export import to_csv
from tandem.db import utcnow
from tandem.errors import DomainError
from tandem.metrics import labels, service
from tandem.metrics.engine import Engine, engine_for
from tandem.metrics.schemas import FigureOut, MetricOut, query
from tandem.metrics.spec import Window
from tandem.web.csrf import verify_csrf
from tandem.web.deps import ApiUser, DbSession, PageUser
from tandem.web.errors import http_error
from tandem.web.pages import render

pages = APIRouter(dependencies=[Depends(verify_csrf)])
api = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])

#: Rows per page of a drill-down list.
PAGE_SIZE = 100
First = Annotated[date | None, Query(alias="from")]
Last = Annotated[date | None, Query(alias="to")]
FilterPairs = Annotated[list[str], Query(alias="filter")]
PageNo = Annotated[int, Query(ge=1, le=100_000)]


def _filters(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise HTTPException(422, f"filter {pair!r}: write DIMENSION=VALUE")
        out[name] = value
    return out


def _inputs(facts, name: str, first: date | None, last: date | None) -> tuple[Engine, Window]:
    try:
        service.metric(name)
        return engine_for(facts), service.window(first, last, utcnow())
    except DomainError as exc:
        raise http_error(exc) from None


@api.get("")
def list_json(user: ApiUser) -> list[MetricOut]:
    """Every metric's definition."""
    return [MetricOut.of(m) for m in service.registry().values()]


@api.get("/{metric}")
def figure_json(
    metric: str,
    user: ApiUser,
    facts: FactsDep,
    first: First = None,
    last: Last = None,
    by: str | None = None,
    filter: FilterPairs = [],  # noqa: B006 (FastAPI copies defaults)
) -> FigureOut:
    """One figure: `?from=&to=&by=&filter=DIM=VALUE`."""
    name = metric
    engine, at = _inputs(facts, name, first, last)
    try:
        return FigureOut.of(service.figure(engine, name, at, _filters(filter), by))
    except DomainError as exc:
        raise http_error(exc) from None


@api.get("/{metric}/records")
def records_json(
    metric: str,
    request: Request,
    db: DbSession,
    user: ApiUser,
    facts: FactsDep,
    first: First = None,
    last: Last = None,
    filter: FilterPairs = [],  # noqa: B006
    page: PageNo = 1,
) -> dict:
    """A page of the records behind a figure; `total` equals the figure's population."""
    name = metric
    engine, at = _inputs(facts, name, first, last)
    try:
        found = service.records(
            engine, name, at, _filters(filter), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    except DomainError as exc:
        raise http_error(exc) from None
    named = labels.names(db, found, permissions.visible_to(request, user))
    return {
        "metric": name,
        "total": found.total,
        "page": page,
        "page_size": PAGE_SIZE,
        "columns": ["name", *found.columns],
        "rows": [[named.get(r[0], (None, None))[0], *r] for r in labels.masked(found, named)],
    }


@pages.get("/metrics", response_class=HTMLResponse)
def list_page(request: Request, user: PageUser) -> HTMLResponse:
    return render(request, "metrics_list.html", user=user, metrics=service.registry().values())


@pages.get("/metrics/{metric}", response_class=HTMLResponse)
def figure_page(
    metric: str,
    request: Request,
    user: PageUser,
    facts: FactsDep,
    first: First = None,
    last: Last = None,
    by: str | None = None,
    filter: FilterPairs = [],  # noqa: B006
) -> HTMLResponse:
    """The definition, the figure over the window, a breakdown and the link to its records."""
    name = metric
    engine, at = _inputs(facts, name, first, last)
    error = None
    filters = _filters(filter)
    try:
        figure = service.figure(engine, name, at, filters, by or None)
    except DomainError as exc:
        error, figure = str(exc), service.figure(engine, name, at)
    return render(
        request,
        "metric.html",
        status_code=422 if error else 200,
        user=user,
        f=FigureOut.of(figure),
        m=figure.metric,
        error=error,
        shown=fmt(figure.value, figure.metric.unit),
        fmt=fmt,
        label=label,
        by=by or "",
        filter_text=" ".join(f"{k}={v}" for k, v in filters.items()),
    )


def _page_records(request, db, user, facts, name, first, last, pairs, page):
    engine, at = _inputs(facts, name, first, last)
    try:
        found = service.records(
            engine, name, at, _filters(pairs), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    except DomainError as exc:
        raise http_error(exc) from None
    return found, at, labels.names(db, found, permissions.visible_to(request, user))


@pages.get("/metrics/{metric}/records", response_class=HTMLResponse)
def records_page(
    metric: str,
    request: Request,
    db: DbSession,
    user: PageUser,
    facts: FactsDep,
    first: First = None,
    last: Last = None,
    filter: FilterPairs = [],  # noqa: B006
    page: PageNo = 1,
) -> HTMLResponse:
    """The records that make up a figure, a page at a time, each linked where the user may."""
    name = metric
    found, at, named = _page_records(request, db, user, facts, name, first, last, filter, page)
    filters = _filters(filter)
    pages_total = max(1, -(-found.total // PAGE_SIZE))
    return render(
        request,
        "metric_records.html",
        user=user,
        r=found,
        rows=labels.masked(found, named),
        m=found.metric,
        named=named,
        page=page,
        pages=pages_total,
        window_text=at.text,
        filters=filters,
        q=query(at, filters),
    )


@pages.get("/metrics/{metric}/records.csv")
def records_csv(
    metric: str,
    request: Request,
    db: DbSession,
    user: PageUser,
    facts: FactsDep,
    first: First = None,
    last: Last = None,
    filter: FilterPairs = [],  # noqa: B006
) -> Response:
    """Every record behind the figure as CSV (names only where the user may open the record)."""
    name = metric
    engine, at = _inputs(facts, name, first, last)
    try:
        found = service.records(engine, name, at, _filters(filter), limit=None)
    except DomainError as exc:
        raise http_error(exc) from None
    named = labels.names(db, found, permissions.visible_to(request, user))
    text = to_csv(["name", *found.columns], labels.csv_rows(found, named))
    filename = f"{name}-{at.start:%Y%m%d}-{at.last:%Y%m%d}.csv"
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
