"""Dashboard routes: `/analytics/<page>` renders the view-model, `/api/v1/analytics/<page>`
returns it. Handlers only translate; the view-models come from `tandem.analytics.service`."""

import contextlib
from collections.abc import AsyncIterator
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from tandem.analytics import present, service
from tandem.analytics.cache import FactsCache
from tandem.analytics.dims import DIMENSIONS
from tandem.analytics.frames import Facts
from tandem.analytics.query import parse_filters
from tandem.analytics.store import facts_store
from tandem.db import utcnow
from tandem.web.csrf import verify_csrf
from tandem.web.deps import ApiUser, DbSession, PageUser

pages = APIRouter(dependencies=[Depends(verify_csrf)])
api = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

TITLES = {
    "funnel": "Funnel",
    "velocity": "Velocity",
    "pipeline": "Pipeline",
    "handoff": "Handoff",
    "revenue": "Revenue",
}
PARAMS = ("start", "end", "view", "by", *DIMENSIONS)


def facts_cache(app: FastAPI) -> FactsCache:
    """The app's facts cache, created on first use from its settings.

    Outside tests the facts are also kept as Parquet under TANDEM_DATA_DIR (tests bind their
    sessions to a rolled-back transaction, which a file copy must not outlive).
    """
    state = app.state
    if getattr(state, "analytics_cache", None) is None:
        settings = state.settings
        testing = settings.environment == "test"
        state.analytics_cache = FactsCache(
            refresh_seconds=settings.analytics_refresh_seconds,
            background=settings.analytics_background_refresh and not testing,
            session_factory=state.session_factory,
            store=None if testing else facts_store(settings),
            on_change=lambda: refresh_stored_attribution(state.session_factory),
        )
    return state.analytics_cache


def refresh_stored_attribution(session_factory) -> None:
    """Re-credit the won deals new or changed since the stored attribution ran (if one ran),
    then read the stored results into memory, so the attribution page's first view is quick."""
    from tandem.attribution.store import refresh_changed, warm
    from tandem.db import session_scope

    with session_scope(session_factory) as db:
        refresh_changed(db_session=db, now=utcnow())
    with session_scope(session_factory) as db:
        warm(db_session=db)


def install(app: FastAPI) -> None:
    """Serve Plotly's JS from its installed package; at startup, start reading the facts so the
    first dashboard is quick (not in tests).

    Wraps whatever lifespan the app already has, so other capabilities' hooks keep running.
    """
    plotly_js = Path(find_spec("plotly").origin or "").parent / "package_data"  # type: ignore[union-attr]
    app.state.assets.mount(app, "/vendor/plotly", plotly_js)  # gzipped, cached a year
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as state:
            if app.state.settings.environment != "test":
                facts_cache(app).warm()
            yield state

    app.router.lifespan_context = lifespan


def get_facts(request: Request, db: DbSession) -> Facts:
    """The dashboard facts for this request (cached per app)."""
    return facts_cache(request.app).get(db)


FactsDep = Annotated[Facts, Depends(get_facts)]


def build(page: str, request: Request, db: Session, facts: Facts) -> tuple[BaseModel, bool]:
    """The page's view-model from the query string; True when a filter value was refused."""
    if page not in service.PAGES:
        raise HTTPException(404, f"no dashboard called {page!r}")
    as_of = utcnow()
    params = {k: request.query_params.get(k) for k in PARAMS}
    filters, issues = parse_filters(params, as_of=as_of, known=facts.known_values())
    options: dict[str, Any] = {}
    if page == "funnel":
        options["view"] = "cohort" if params["view"] == "cohort" else "period"
        options["by"] = params["by"] if params["by"] in DIMENSIONS else "channel"
    if page == "revenue":
        options["model"] = request.query_params.get("model") or None
    vm = service.build_view(
        page,
        db_session=db,
        facts=facts,
        filters=filters,
        issues=issues,
        as_of=as_of,
        options=options,
    )
    return vm, bool(issues)


@pages.get("/analytics")
def analytics_home(user: PageUser) -> RedirectResponse:
    return RedirectResponse("/analytics/funnel", status_code=303)


@pages.get("/analytics/{page}", response_class=HTMLResponse)
def dashboard_page(
    page: str, request: Request, db: DbSession, user: PageUser, facts: FactsDep
) -> HTMLResponse:
    vm, refused = build(page, request, db, facts)
    tiles, panels = getattr(present, page)(vm)
    charts = [p.chart.model_dump() for p in panels if p.chart is not None]
    return request.app.state.templates.TemplateResponse(
        request,
        "analytics_dashboard.html",
        {
            "user": user,
            "page": page,
            "titles": TITLES,
            "vm": vm,
            "tiles": tiles,
            "panels": panels,
            "charts": charts,
            "dimensions": DIMENSIONS,
            "query": request.url.query,
        },
        status_code=422 if refused else 200,
    )


@api.get("/{page}")
def dashboard_json(
    page: str, request: Request, db: DbSession, user: ApiUser, facts: FactsDep
) -> JSONResponse:
    """A dashboard's view-model (funnel, velocity, pipeline, handoff, revenue)."""
    vm, refused = build(page, request, db, facts)
    return JSONResponse(vm.model_dump(mode="json"), status_code=422 if refused else 200)
