"""The application factory: one configured FastAPI app per `Settings`."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from tandem import __version__
from tandem.attribution import api as attribution_api
from tandem.attribution import pages as attribution_pages
from tandem.audit import web as audit_web
from tandem.db import make_engine, make_session_factory
from tandem.handoff import api as handoff_api
from tandem.handoff import pages as handoff_pages
from tandem.handoff import scheduler as handoff_scheduler
from tandem.ingest import web as ingest_web
from tandem.scoring import api as scoring_api
from tandem.scoring import incremental as scoring_incremental
from tandem.scoring import pages as scoring_pages
from tandem.settings import Settings
from tandem.web import api, openapi, pages
from tandem.web.csrf import csrf_token
from tandem.web.deps import LoginRequired
from tandem.web.security import FormBodyLimit, SecurityHeaders

WEB_DIR = Path(__file__).parent


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=WEB_DIR / "templates")
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.globals["version"] = __version__
    templates.env.filters["money"] = lambda v: f"{float(v or 0):,.0f}"
    templates.env.filters["dt"] = lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""
    return templates


def _include_scorecard(app: FastAPI) -> None:
    """Dashboards, goals and the weekly review; Plotly's JS served from its installed package."""
    from importlib.util import find_spec

    from tandem.analytics import web as analytics_web
    from tandem.goals import web as goals_web
    from tandem.reports import web as reports_web

    plotly_js = Path(find_spec("plotly").origin or "").parent / "package_data"  # type: ignore[union-attr]
    app.mount("/vendor/plotly", StaticFiles(directory=plotly_js), name="plotly")
    for module in (analytics_web, goals_web, reports_web):
        app.include_router(module.api)
        app.include_router(module.pages)
    analytics_web.install(app)  # reads the dashboard facts in the background at startup


def create_app(settings: Settings) -> FastAPI:
    """Build the web app (pages + JSON API) on the database named in `settings`."""
    app = FastAPI(title="Tandem", version=__version__, docs_url="/api/docs", redoc_url=None)
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.templates = _templates()
    app.add_middleware(FormBodyLimit)  # 413 for a page body (an upload) over the limit
    app.add_middleware(openapi.BodyLimit)  # 413 for an /api/ body over the limit
    # Outermost: every answer has the headers, the 413s of the two limits too.
    app.add_middleware(SecurityHeaders, secure_cookies=settings.cookie_secure)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(handoff_api.router)
    app.include_router(handoff_pages.router)
    handoff_scheduler.install(app)  # SLA ticks in the background when TANDEM_SLA_SCHEDULER is on
    app.include_router(ingest_web.router)
    app.include_router(attribution_api.router)
    app.include_router(attribution_pages.router)
    app.include_router(scoring_api.router)
    app.include_router(scoring_pages.router)
    scoring_incremental.register()  # each stored activity rescores its contact in the same commit
    _include_scorecard(app)
    app.include_router(audit_web.api)
    app.include_router(audit_web.pages)
    openapi.install(app)  # documents the error answers, auth and body limit of /api/

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail},
            status_code=exc.status_code,
        )

    return app
