"""Server-rendered pages. Handlers only translate: services build the view-models."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem.accounts import service as accounts
from tandem.analytics.scorecard import build_scorecard
from tandem.analytics.web import facts_cache
from tandem.auth import permissions, throttle
from tandem.auth import service as auth
from tandem.contacts import service as contacts
from tandem.db import session_scope, utcnow
from tandem.handoff.scores import table_scores
from tandem.records.views import timeline_context
from tandem.scoring import views as scoring_views
from tandem.usage import views as usage_views
from tandem.web import csrf
from tandem.web.csrf import verify_csrf
from tandem.web.deps import SESSION_COOKIE, DbSession, PageUser
from tandem.web.home import role_home
from tandem.web.ids import PathId

router = APIRouter(dependencies=[Depends(verify_csrf)])


def render(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    """Render a template with the request, current path and CSRF token available."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: never redirect to another host after login.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next), email="", error=None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    now = utcnow()
    client_ip = request.client.host if request.client else None
    try:
        # Counted and committed before the password is checked, one at a time per email and
        # address: parallel guesses cannot all pass the count (tandem.auth.throttle).
        with session_scope(request.app.state.session_factory) as throttled:
            attempt = throttle.reserve(
                db_session=throttled, email=email, client_ip=client_ip, now=now
            )
        user = auth.authenticate(db_session=db, email=email, password=password, now=now)
    except (auth.AuthError, throttle.TooManyAttempts) as exc:
        limited = isinstance(exc, throttle.TooManyAttempts)
        return render(
            request,
            "login.html",
            status_code=429 if limited else 401,
            next=_safe_next(next),
            email=email,
            error=str(exc),
        )
    throttle.succeeded(db_session=db, attempt_id=attempt)
    settings = request.app.state.settings
    secret = auth.start_session(
        db_session=db, user=user, now=utcnow(), hours=settings.session_hours
    )
    csrf.issue(request, csrf.bound_token(secret))  # a new session, a new token
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure or request.url.scheme == "https",
        max_age=settings.session_hours * 3600,
    )
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession) -> RedirectResponse:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        auth.end_session(db_session=db, secret=secret)
    csrf.issue(request)  # the signed-in token goes with the session
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbSession, user: PageUser) -> HTMLResponse:
    """The role's home (its queue, board, funnel) above the shared scorecard."""
    facts = facts_cache(request.app).get(db)
    as_of = utcnow()
    card = build_scorecard(db_session=db, facts=facts, as_of=as_of)
    config, config_error = handoff_config(request, db)
    mine = role_home(
        db_session=db,
        facts=facts,
        user=user,
        as_of=as_of,
        config=config,
        config_error=config_error,
        scores=getattr(request.app.state, "score_provider", None) or table_scores,
    )
    return render(request, "home.html", user=user, card=card, mine=mine)


def handoff_config(request: Request, db: DbSession) -> tuple[object | None, str | None]:
    """The handoff configuration, or None and why it cannot be used (a fresh workspace)."""
    from tandem.definitions.base import ConfigError
    from tandem.handoff.runtime import HandoffNotConfigured
    from tandem.handoff.scheduler import config_cache

    try:
        return config_cache(request.app).get(db), None
    except HandoffNotConfigured as exc:
        return None, f"The handoff is not set up yet: {exc}"
    except ConfigError:
        return None, "The handoff configuration has errors; an admin can see them under Routing."


@router.get("/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(
    request: Request, db: DbSession, user: PageUser, contact_id: PathId
) -> HTMLResponse:
    try:
        detail = contacts.contact_detail(
            db_session=db,
            contact_id=contact_id,
            visible_to=permissions.visible_to(request, user),
        )
    except contacts.ContactNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    score = scoring_views.contact_panel(db, contact_id, as_of=utcnow())
    entries = timeline_context(db, user, "contact", contact_id, utcnow().date())
    return render(request, "contact.html", user=user, c=detail, score=score, **entries)


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(
    request: Request, db: DbSession, user: PageUser, account_id: PathId
) -> HTMLResponse:
    try:
        detail = accounts.account_detail(
            db_session=db,
            account_id=account_id,
            visible_to=permissions.visible_to(request, user),
        )
    except accounts.AccountNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    usage = usage_views.account_usage(db, account_id=account_id, as_of=utcnow())
    entries = timeline_context(db, user, "account", account_id, utcnow().date())
    return render(request, "account.html", user=user, a=detail, usage=usage, **entries)
