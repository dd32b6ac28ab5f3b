"""Who may read and change what: one table from route to allowed roles and object rule.

Every route of the app has exactly one entry in `RULES`, keyed by method and path template.
`authorize` enforces it from the page and API user dependencies (tandem.web.deps), so a route
is checked as soon as it asks for a signed-in user; a route missing from the table is refused
(fail closed), and tests/auth/test_permissions.py fails for any route of `app.routes` that has
no entry. Services keep their finer rules (which team approves a scoring version, whose queue a
lead is in); this table is the coarse gate and the object rule for sales reps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.ids import BadId, parse_id
from tandem.opportunities.models import Opportunity
from tandem.settings import Settings

A, M, R, SM, E = Role.ADMIN, Role.MARKETER, Role.SALES_REP, Role.SALES_MANAGER, Role.EXECUTIVE
EVERYONE = frozenset(Role)
MANAGERS = frozenset({A, SM, E})


@dataclass(frozen=True)
class Rule:
    """Roles allowed (None: public, no sign-in) and the object the route reads, if any:
    (kind, parameter), the parameter taken from the path or else the query string."""

    roles: frozenset[Role] | None
    owns: tuple[str, str] | None = None
    tokens_only: bool = False  # writes a browser session alone may not make (401 without)

    @property
    def public(self) -> bool:
        return self.roles is None


PUBLIC = Rule(None)


def allow(*roles: Role, owns: tuple[str, str] | None = None, tokens_only: bool = False) -> Rule:
    """A rule for the roles given (every role when none are given)."""
    return Rule(frozenset(roles) or EVERYONE, owns, tokens_only)


CONTACT = ("contact", "contact_id")
#: Mounted static files: public, no rule per file.
PUBLIC_MOUNTS = frozenset({"/static", "/vendor/plotly"})

RULES: dict[tuple[str, str], Rule] = {
    # The shell: sign-in, API docs, health.
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/api/v1/health"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/api/v1/me"): allow(),
    ("GET", "/"): allow(),
    ("GET", "/api/v1/scorecard"): allow(),
    # Contacts and accounts: reps see their own and the unassigned ones (settings widen it).
    ("GET", "/contacts"): allow(),
    ("GET", "/api/v1/contacts"): allow(),
    ("GET", "/contacts/{contact_id}"): allow(owns=CONTACT),
    ("GET", "/api/v1/contacts/{contact_id}"): allow(owns=CONTACT),
    ("GET", "/accounts/{account_id}"): allow(owns=("account", "account_id")),
    ("GET", "/api/v1/accounts/{account_id}"): allow(owns=("account", "account_id")),
    # Handoff: only sales accepts or rejects, a lead the rep may read (whose queue it is in:
    # the service, 409); the board is for managers.
    ("GET", "/handoff"): allow(),
    ("GET", "/handoff/queue"): allow(R, SM),
    ("GET", "/api/v1/handoff/queue"): allow(R, SM),
    ("GET", "/handoff/leads/{contact_id}"): allow(owns=CONTACT),
    ("GET", "/api/v1/handoff/leads/{contact_id}"): allow(owns=CONTACT),
    ("POST", "/handoff/leads/{contact_id}/accept"): allow(R, SM, owns=CONTACT),
    ("POST", "/api/v1/handoff/leads/{contact_id}/accept"): allow(R, SM, owns=CONTACT),
    ("POST", "/handoff/leads/{contact_id}/reject"): allow(R, SM, owns=CONTACT),
    ("POST", "/api/v1/handoff/leads/{contact_id}/reject"): allow(R, SM, owns=CONTACT),
    ("GET", "/handoff/board"): allow(A, SM, E),
    ("GET", "/api/v1/handoff/board"): allow(A, SM, E),
    ("GET", "/handoff/reports"): allow(),
    ("GET", "/api/v1/handoff/reports/rejects"): allow(),
    ("GET", "/api/v1/handoff/commitments"): allow(),
    ("GET", "/handoff/routing"): allow(A, M, R, SM, owns=("contact", "contact")),
    ("GET", "/api/v1/handoff/routing/{contact_id}"): allow(A, M, R, SM, owns=CONTACT),
    ("GET", "/handoff/inbox"): allow(),
    ("GET", "/api/v1/handoff/inbox"): allow(),
    ("POST", "/handoff/inbox/read"): allow(),
    ("POST", "/api/v1/handoff/inbox/read"): allow(),
    ("POST", "/handoff/settings"): allow(),
    ("GET", "/api/v1/handoff/reps/{user_id}/settings"): allow(owns=("user", "user_id")),
    ("PUT", "/api/v1/handoff/reps/{user_id}/settings"): allow(owns=("user", "user_id")),
    # Ingest: the event API for integrations (admin or marketing tokens); uploads for admins.
    ("POST", "/api/v1/activities"): allow(A, M, tokens_only=True),
    ("POST", "/api/v1/contacts"): allow(A, M, tokens_only=True),
    ("POST", "/api/v1/accounts"): allow(A, M, tokens_only=True),
    ("GET", "/ingest"): allow(A),
    ("POST", "/ingest/preview"): allow(A),
    ("POST", "/ingest/commit"): allow(A),
    ("GET", "/ingest/jobs/{job_id}"): allow(A),
    # Attribution: aggregate reports for all; a deal's retrospective follows its owner.
    ("GET", "/attribution"): allow(),
    ("GET", "/api/v1/attribution"): allow(),
    ("GET", "/api/v1/attribution/export.csv"): allow(),
    ("GET", "/opportunities/{opportunity_id}/retrospective"): allow(
        owns=("opportunity", "opportunity_id")
    ),
    ("GET", "/api/v1/attribution/opportunities/{opportunity_id}"): allow(
        owns=("opportunity", "opportunity_id")
    ),
    # Scoring: marketing and sales managers propose and approve (the other team's proposals).
    ("GET", "/scoring"): allow(),
    ("GET", "/api/v1/scoring"): allow(),
    ("GET", "/scoring/versions/{version_id}"): allow(),
    ("GET", "/api/v1/scoring/versions/{version_id}"): allow(),
    ("POST", "/scoring/proposals"): allow(M, SM),
    ("POST", "/api/v1/scoring/versions"): allow(M, SM),
    ("POST", "/scoring/versions/{version_id}/approve"): allow(M, SM),
    ("POST", "/api/v1/scoring/versions/{version_id}/approve"): allow(M, SM),
    ("POST", "/scoring/versions/{version_id}/reject"): allow(M, SM),
    ("POST", "/api/v1/scoring/versions/{version_id}/reject"): allow(M, SM),
    ("GET", "/api/v1/scoring/contacts/{contact_id}"): allow(owns=CONTACT),
    ("GET", "/scoring/backtest"): allow(A, M, SM, E),
    ("GET", "/api/v1/scoring/backtest"): allow(A, M, SM, E),
    # The scorecard: dashboards and the weekly review for all; goals set by admins and managers.
    ("GET", "/analytics"): allow(),
    ("GET", "/analytics/{page}"): allow(),
    ("GET", "/api/v1/analytics/{page}"): allow(),
    ("GET", "/goals"): allow(),
    ("GET", "/api/v1/goals"): allow(),
    ("POST", "/goals"): allow(A, SM, E),
    ("POST", "/api/v1/goals"): allow(A, SM, E),
    ("POST", "/goals/{goal_id}/delete"): allow(A, SM, E),
    ("DELETE", "/api/v1/goals/{goal_id}"): allow(A, SM, E),
    ("GET", "/reports/weekly"): allow(),
    ("GET", "/reports/weekly.pdf"): allow(),
    ("GET", "/api/v1/reports/weekly"): allow(),
    # The audit log: admins and sales managers.
    ("GET", "/audit"): allow(A, SM),
    ("GET", "/api/v1/audit"): allow(A, SM),
    ("GET", "/api/v1/audit/export.csv"): allow(A, SM),
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route (HEAD follows GET), or None when the table has none."""
    return RULES.get(("GET" if method == "HEAD" else method, path))


# --- object rules: may this user read this object? ----------------------------------------


def _rep_sees(owner_id: int | None, user: User, settings: Settings) -> bool:
    if settings.reps_see_all_pipeline or owner_id == user.id:
        return True
    return owner_id is None and settings.reps_see_unassigned


def _contact(db: Session, user: User, object_id: int, settings: Settings) -> bool | None:
    from tandem.handoff.models import Handoff

    owner = db.execute(select(Contact.owner_id).where(Contact.id == object_id)).first()
    if owner is None:
        return None
    if user.role != R or _rep_sees(owner[0], user, settings):
        return True
    # A lead routed to the rep but not yet accepted is theirs to read.
    return bool(
        db.scalar(
            select(exists().where(Handoff.contact_id == object_id, Handoff.owner_id == user.id))
        )
    )


def _opportunity(db: Session, user: User, object_id: int, settings: Settings) -> bool | None:
    owner = db.execute(select(Opportunity.owner_id).where(Opportunity.id == object_id)).first()
    if owner is None:
        return None
    return user.role != R or _rep_sees(owner[0], user, settings)


def _account(db: Session, user: User, object_id: int, settings: Settings) -> bool | None:
    owner = db.execute(select(Account.owner_id).where(Account.id == object_id)).first()
    if owner is None:
        return None
    if user.role != R or _rep_sees(owner[0], user, settings):
        return True
    mine = or_(
        exists().where(Contact.account_id == object_id, Contact.owner_id == user.id),
        exists().where(Opportunity.account_id == object_id, Opportunity.owner_id == user.id),
    )
    return bool(db.scalar(select(mine)))


def _user(db: Session, user: User, object_id: int, settings: Settings) -> bool | None:
    # Own settings, or anyone's for admins, managers and executives (services decide writes).
    return object_id == user.id or user.role in MANAGERS


ObjectCheck = Callable[[Session, User, int, Settings], "bool | None"]
OBJECTS: dict[str, ObjectCheck] = {
    "contact": _contact,
    "opportunity": _opportunity,
    "account": _account,
    "user": _user,
}


def may_read(db: Session, user: User, kind: str, object_id: int, settings: Settings) -> bool:
    """True when `user` may read the object (or it does not exist: the handler says 404)."""
    return OBJECTS[kind](db, user, object_id, settings) is not False


def visible_owner_ids(user: User, settings: Settings) -> tuple[bool, int | None] | None:
    """For lists: None when the user sees every contact; else (unassigned too?, own id)."""
    if user.role != R or settings.reps_see_all_pipeline:
        return None
    return settings.reps_see_unassigned, user.id


def visible_to(request: Request, user: User) -> tuple[bool, int] | None:
    """`visible_owner_ids` for the request's settings: pass it to every service building a
    page that lists contacts or deals (tandem.auth.visibility)."""
    return visible_owner_ids(user, request.app.state.settings)


def authorize(request: Request, db: Session, user: User) -> None:
    """Enforce the route's rule for `user`: 403 when the role or the object is not theirs."""
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    rule = rule_for(request.method, path)
    if rule is None:
        raise HTTPException(403, f"no permission rule for {request.method} {path}")
    if rule.tokens_only and not request.headers.get("authorization", "").lower().startswith(
        "bearer "
    ):
        raise HTTPException(
            401,
            "an API token is required (Authorization: Bearer ...)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if rule.roles is not None and user.role not in rule.roles:
        raise HTTPException(
            403, f"a {user.role.replace('_', ' ')} may not use {request.method} {path}"
        )
    if rule.owns is not None:
        kind, param = rule.owns
        object_id = _object_id(request, param)
        if object_id is not None:
            settings = request.app.state.settings
            if not may_read(db, user, kind, object_id, settings):
                raise HTTPException(403, f"this {kind} belongs to someone else")


def _object_id(request: Request, param: str) -> int | None:
    """The id the route will read, parsed as strictly as the route parses it (422 for any
    other spelling, so no spelling reaches the handler without this check); None if absent."""
    if param in request.path_params:
        given = [request.path_params[param]]
    else:
        given = request.query_params.getlist(param)
    if not given:
        return None
    if len(given) > 1:  # which one the handler reads is the framework's choice: refuse both
        raise HTTPException(422, f"{param} given {len(given)} times")
    try:
        return parse_id(given[0])
    except BadId as exc:
        raise HTTPException(422, f"{param}: {exc}") from None
