"""The application factory: one configured FastAPI app per `Settings`, built from the
capability manifests (`tandem.capabilities`): their routers, background tasks and event
handlers."""

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tandem import __version__
from tandem.auth.permissions import may_open
from tandem.capabilities import build_bus, each, nav_links, resolve
from tandem.db import make_engine, make_session_factory
from tandem.metrics.engine import use as use_engine
from tandem.settings import Settings
from tandem.web import error_pages, openapi
from tandem.web.assets import Assets
from tandem.web.bell import bell_for
from tandem.web.csrf import csrf_token
from tandem.web.deps import LoginRequired
from tandem.web.security import FormBodyLimit, SecurityHeaders
from tandem.web.templating import WEB_DIR, environment


def _reader(request: Request) -> dict[str, object]:
    # The signed-in user's own time zone (set by `page_user`) over the workspace's.
    zone = getattr(request.state, "time_zone", None)
    return {"time_zone": zone or request.app.state.settings.time_zone}


def _templates(settings: Settings, assets: Assets) -> Jinja2Templates:
    templates = Jinja2Templates(
        env=environment(currency=settings.currency, time_zone=settings.time_zone),
        context_processors=[_reader],
    )
    templates.env.globals["bell"] = bell_for  # the top bar's unread count
    templates.env.globals["asset_url"] = assets.url  # hashed, so browsers cache for a year
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.globals["may_open"] = may_open  # menus show only the links a role may open
    templates.env.globals["capability_nav"] = nav_links()
    return templates


def create_app(settings: Settings) -> FastAPI:
    """Build the web app (pages + JSON API) on the database named in `settings`."""
    app = FastAPI(title="Tandem", version=__version__, docs_url="/api/docs", redoc_url=None)
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    use_engine(settings)  # checked when the settings were read: never a silent fallback
    app.state.engine = engine
    app.state.events = build_bus()
    app.state.session_factory = make_session_factory(engine, events=app.state.events)
    app.state.assets = Assets()
    app.state.templates = _templates(settings, app.state.assets)
    app.add_middleware(FormBodyLimit)  # 413 for a page body (an upload) over the limit
    app.add_middleware(openapi.BodyLimit)  # 413 for an /api/ body over the limit
    # Outermost: every answer has the headers, the 413s of the two limits too.
    app.add_middleware(SecurityHeaders, secure_cookies=settings.cookie_secure)
    app.state.assets.mount(app, "/static", WEB_DIR / "static")  # gzipped, hashed URLs
    for _, routers in each("routers"):
        for router in routers:
            app.include_router(resolve(router))
    for _, tasks in each("tasks"):
        for task in tasks:
            resolve(task)(app)  # background work and mounts (SLA ticks, the dashboards' copy)
    openapi.install(app)  # documents the error answers, auth and body limit of /api/

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    error_pages.install(app)  # people's pages for browsers, JSON for /api/

    return app
