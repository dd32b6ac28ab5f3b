"""Metrics in the browser and the API: `/metrics` (every definition), `/metrics/{metric}` (one
figure, its window, filters and breakdown), `/metrics/{metric}/records` (the rows behind it,
paged, and as CSV), and the same under `/api/v1/metrics`. Handlers only translate."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from tandem.analytics.charts import fmt, label
from tandem.analytics.web import FactsDep
from tandem.auth import permissions
from tandem.auth.models import User
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
from tandem.web.paging import PageNumber

pages = APIRouter(dependencies=[Depends(verify_csrf)])
api = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])

#: Rows per page of a drill-down list.
PAGE_SIZE = 100
#: Most values of one dimension the filter form offers (campaigns and reps can be many).
FILTER_OPTIONS = 200
#: Most records one CSV export takes from the web (as the audit export); the CLI has no cap.
MAX_CSV_ROWS = 100_000
First = Annotated[date | None, Query(alias="from")]
Last = Annotated[date | None, Query(alias="to")]
FilterPairs = Annotated[list[str], Query(alias="filter")]


def _filters(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        if not pair:
            continue  # the filter form's "add one…" left as it was
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise HTTPException(422, f"filter {pair!r}: write DIMENSION=VALUE")
        out[name] = value
    return out


@dataclass(frozen=True)
class Asked:
    """What a request asks of the registry: a metric, a window, filters, on these facts."""

    name: str
    at: Window
    filters: dict[str, str]
    engine: Engine


def asked(
    metric: str,
    facts: FactsDep,
    first: First = None,
    last: Last = None,
    filter: FilterPairs = [],  # noqa: B006 (FastAPI copies defaults)
) -> Asked:
    """The metric, window and filters of `?from=&to=&filter=DIM=VALUE`, checked."""
    try:
        service.metric(metric)
        at = service.window(first, last, utcnow())
    except DomainError as exc:
        raise http_error(exc) from None
    return Asked(metric, at, _filters(filter), engine_for(facts))


#: Declared after the user in every handler: the sign-in is checked before the facts are read.
Ask = Annotated[Asked, Depends(asked)]


def _records(request: Request, db: Session, user: User, ask: Asked, page: int | None):
    """A page of the records behind the figure (`page=None`: all of them), and their names."""
    try:
        found = service.records(
            ask.engine,
            ask.name,
            ask.at,
            ask.filters,
            limit=None if page is None else PAGE_SIZE,
            offset=0 if page is None else (page - 1) * PAGE_SIZE,
        )
    except DomainError as exc:
        raise http_error(exc) from None
    return found, labels.names(db, found, permissions.visible_to(request, user))


@api.get("")
def list_json(user: ApiUser) -> list[MetricOut]:
    """Every metric's definition."""
    return [MetricOut.of(m) for m in service.registry().values()]


@api.get("/{metric}")
def figure_json(user: ApiUser, ask: Ask, by: str | None = None) -> FigureOut:
    """One figure: `?from=&to=&by=&filter=DIM=VALUE`."""
    try:
        return FigureOut.of(service.figure(ask.engine, ask.name, ask.at, ask.filters, by))
    except DomainError as exc:
        raise http_error(exc) from None


@api.get("/{metric}/records")
def records_json(
    user: ApiUser, ask: Ask, request: Request, db: DbSession, page: PageNumber = 1
) -> dict:
    """A page of the records behind a figure; `total` equals the figure's population."""
    found, named = _records(request, db, user, ask, page)
    return {
        "metric": ask.name,
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
def figure_page(user: PageUser, ask: Ask, request: Request, by: str | None = None) -> HTMLResponse:
    """The definition, the figure over the window, a breakdown and the link to its records."""
    error = None
    try:
        figure = service.figure(ask.engine, ask.name, ask.at, ask.filters, by or None)
    except DomainError as exc:
        error, figure = str(exc), service.figure(ask.engine, ask.name, ask.at)
    chosen = figure.metric
    options = {
        d: ask.engine.known(chosen.population, d)[:FILTER_OPTIONS] for d in chosen.dimensions
    }
    return render(
        request,
        "metric.html",
        status_code=422 if error else 200,
        user=user,
        f=FigureOut.of(figure),
        m=chosen,
        error=error,
        shown=fmt(figure.value, chosen.unit),
        fmt=fmt,
        label=label,
        by=by or "",
        options=options,
    )


@pages.get("/metrics/{metric}/records", response_class=HTMLResponse)
def records_page(
    user: PageUser, ask: Ask, request: Request, db: DbSession, page: PageNumber = 1
) -> HTMLResponse:
    """The records that make up a figure, a page at a time, each linked where the user may."""
    found, named = _records(request, db, user, ask, page)
    return render(
        request,
        "metric_records.html",
        user=user,
        r=found,
        rows=labels.masked(found, named),
        m=found.metric,
        named=named,
        page=page,
        pages=max(1, -(-found.total // PAGE_SIZE)),
        window_text=ask.at.text,
        filters=ask.filters,
        q=query(ask.at, ask.filters),
    )


@pages.get("/metrics/{metric}/records.csv")
def records_csv(user: PageUser, ask: Ask, request: Request, db: DbSession) -> Response:
    """Every record behind the figure as CSV (names only where the user may open the record)."""
    rows = service.figures(ask.engine, [ask.name], ask.at, ask.filters)[ask.name].rows
    if rows > MAX_CSV_ROWS:
        raise HTTPException(
            422,
            f"{rows:,} records: a CSV from the web takes at most {MAX_CSV_ROWS:,}; narrow the "
            f"window or the filters, or run `tandem metrics records {ask.name}`",
        )
    found, named = _records(request, db, user, ask, None)
    text = to_csv(["name", *found.columns], labels.csv_rows(found, named))
    filename = f"{ask.name}-{ask.at.start:%Y%m%d}-{ask.at.last:%Y%m%d}.csv"
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
