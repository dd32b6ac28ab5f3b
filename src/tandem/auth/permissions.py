"""Who may read and change what: one table from route to allowed roles and object rule.

Every route of the app has exactly one entry in `rules()`, keyed by method and path template;
each capability declares its own rows (`Capability.permissions`, its `access.py`).
`authorize` enforces it from the page and API user dependencies (tandem.web.deps), so a route
is checked as soon as it asks for a signed-in user; a route missing from the table is refused
(fail closed), and tests/auth/test_permissions.py fails for any route of `app.routes` that has
no entry. Services keep their finer rules (which team approves a scoring version, whose queue a
lead is in); this table is the coarse gate and the object rule for sales reps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from fastapi import HTTPException, Request
from sqlalchemy import exists, select
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


def _merged_rules() -> dict[tuple[str, str], Rule]:
    from tandem.capabilities import each, resolve

    merged: dict[tuple[str, str], Rule] = {}
    for capability, reference in each("permissions"):
        for key, rule in resolve(reference).items():
            if key in merged:
                raise ValueError(f"{key} has a rule in two capabilities ({capability.name})")
            merged[key] = rule
    return merged


@cache
def rules() -> dict[tuple[str, str], Rule]:
    """Every route's rule, from the capabilities' manifests (each declares its own rows)."""
    return _merged_rules()


class _Rules(Mapping[tuple[str, str], Rule]):
    """`RULES`: the merged table, read from the manifests when first used (the capabilities'
    `access.py` modules import this module, so it cannot be built at import)."""

    def __getitem__(self, key: tuple[str, str]) -> Rule:
        return rules()[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(rules())

    def __len__(self) -> int:
        return len(rules())


RULES: Mapping[tuple[str, str], Rule] = _Rules()


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route (HEAD follows GET), or None when the table has none."""
    return rules().get(("GET" if method == "HEAD" else method, path))


def may_open(role: str, path: str) -> bool:
    """Whether a user of `role` may GET the page at `path` (a route template or a plain path
    such as `/admin/routing`): menus show a link only when this holds, so no role is shown a
    link that answers 403."""
    rule = rule_for("GET", path) or _rule_matching(path)
    return rule is not None and (rule.roles is None or role in rule.roles)


def _rule_matching(path: str) -> Rule | None:
    for pattern, rule in _get_patterns():
        if pattern.fullmatch(path):
            return rule
    return None


@cache
def _get_patterns() -> list[tuple[re.Pattern[str], Rule]]:
    """GET route templates as patterns (`/admin/{kind}` matches `/admin/routing`)."""
    return [
        (re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))), rule)
        for (method, path), rule in rules().items()
        if method == "GET" and "{" in path
    ]


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
    # An account holding a contact or deal the rep may open (own, unassigned when allowed, a
    # lead routed to the rep): the lists that link to it show those records.
    from tandem.auth import visibility

    return bool(
        db.scalar(
            select(visibility.holds_visible(object_id, (settings.reps_see_unassigned, user.id)))
        )
    )


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
