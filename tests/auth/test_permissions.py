"""The permission matrix over HTTP: every route of `app.routes`, every role, anonymous and
API tokens, against the one table in tandem.auth.permissions; plus the object rules."""

from types import SimpleNamespace

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tandem.auth import service as auth
from tandem.auth.permissions import PUBLIC_MOUNTS, rule_for, rules
from tandem.auth.roles import Role
from tandem.db import utcnow
from tandem.web.csrf import CSRF_COOKIE
from tandem.web.deps import SESSION_COOKIE
from tests import factories as f
from tests.auth.people import OWNER_CHECKED_READS, person, sign_in

A, M, R, SM, E = Role.ADMIN, Role.MARKETER, Role.SALES_REP, Role.SALES_MANAGER, Role.EXECUTIVE


def _routes(app) -> list[tuple[str, str]]:
    """(method, path template) of every route, HEAD folded into GET; mounts apart."""
    found = []
    for route in iter_route_contexts(app.routes):
        if not route.methods:
            assert route.path in PUBLIC_MOUNTS, f"mount {route.path} is not declared public"
            continue
        found += [(m, route.path) for m in sorted(route.methods - {"HEAD"})]
    return found


def test_every_route_has_exactly_one_rule_and_every_rule_a_route(app):
    routes = _routes(app)
    missing = [r for r in routes if r not in rules()]
    assert missing == [], "routes without a rule in any capability's access.py"
    assert sorted(set(rules()) - set(routes)) == [], "rules for routes that do not exist"


def test_the_policy_the_table_must_keep():
    """The statements of docs/security.md, read off the table."""

    def roles(method, path):
        return rule_for(method, path).roles

    # Marketers cannot accept or reject for sales.
    for verb in ("accept", "reject"):
        assert M not in roles("POST", f"/handoff/leads/{{contact_id}}/{verb}")
        assert M not in roles("POST", f"/api/v1/handoff/leads/{{contact_id}}/{verb}")
    # Admins and marketers import data; admins and managers read the audit log.
    assert roles("POST", "/ingest/commit") == {A, M}
    assert roles("GET", "/audit") == roles("GET", "/api/v1/audit") == {A, SM}
    # Scoring decisions are the two teams' (which team approves which: the service).
    assert roles("POST", "/api/v1/scoring/versions/{version_id}/approve") == {M, SM}
    # Reps read contacts through the object rule.
    assert rule_for("GET", "/api/v1/contacts/{contact_id}").owns == ("contact", "contact_id")
    # Only admins manage users, roles and API tokens (the emailed link is its own credential).
    assert {rules()[k].roles for k in rules() if "/users" in k[1]} == {frozenset({A})}
    assert rule_for("POST", "/password/{token}").public


# --- walking every route as every identity --------------------------------------------------


@pytest.fixture
def world(db):
    people = {role: person(db, role) for role in Role}
    acct = f.account(db)
    contact = f.contact(db, account_id=acct.id)  # unassigned: every role may read it
    opp = f.opportunity(db, acct)
    _, plain = auth.create_api_token(db_session=db, user=people[A], name="matrix")
    revoked, revoked_plain = auth.create_api_token(db_session=db, user=people[A], name="old")
    auth.revoke_api_token(db_session=db, token_id=revoked.id, now=utcnow())
    secrets = {
        role: auth.start_session(db_session=db, user=u, now=utcnow(), hours=1)
        for role, u in people.items()
    }
    db.flush()
    return SimpleNamespace(
        people=people,
        secrets=secrets,
        token=plain,
        revoked=revoked_plain,
        params={
            "contact_id": contact.id,
            "account_id": acct.id,
            "opportunity_id": opp.id,
            "version_id": 999999,
            "job_id": 999999,
            "goal_id": 999999,
            "signal_id": 999999,
            "page": "funnel",
            "kind": "routing",
            "decision": "approve",
            "metric": "reached_mql",
            "wave_id": 999999,
            "asset_id": 999999,
            "purge_id": 999999,
            "webhook_id": 999999,
            "entry_id": 999999,
            "token": "not-a-token",
            "list_name": "contacts",
            "view_id": 999999,
            "token_id": 999999,
        },
    )


def _request(client, method, path, *, cookie=None, bearer=None):
    client.cookies.clear()
    if cookie:
        client.cookies.set(SESSION_COOKIE, cookie)
    client.get("/login")  # the CSRF cookie: the session's token when signed in
    csrf = client.cookies.get(CSRF_COOKIE)
    headers = {"X-CSRF-Token": csrf or ""}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    kwargs = {}
    if method in ("POST", "PUT"):
        kwargs = {"json": {}} if path.startswith("/api/") else {"data": {}}
    return client.request(method, path, headers=headers, follow_redirects=False, **kwargs)


def _signed_out(response) -> bool:
    return response.status_code == 401 or (
        response.status_code == 303 and response.headers["location"].startswith("/login")
    )


def _judge(rule, role, response, path, bearer=False) -> str | None:
    """What is wrong with `response` for `role` (None: as the table says)."""
    status = response.status_code
    api = path.startswith("/api/")
    if role == "anonymous":
        if rule.public:
            return None if status != 403 and status < 500 else f"public route gave {status}"
        want = 401 if api else 303
        return None if _signed_out(response) and status == want else f"anonymous got {status}"
    if rule.public:
        return None if status != 403 and status < 500 else f"public route gave {status}"
    if rule.tokens_only and not bearer:
        return None if status == 401 else f"expected 401 without a token, got {status}"
    if role not in rule.roles:
        return None if status == 403 else f"expected 403, got {status}"
    if _signed_out(response) or status == 403:
        return f"allowed but refused ({status})"
    if status >= 500 and not (status == 503 and "handoff" in path):  # handoff unconfigured
        return f"server error {status}"
    return None


def test_every_route_for_every_role_anonymous_and_api_tokens(app, world):
    """The one matrix: each route's answer to each identity matches its rule."""
    client = TestClient(app, raise_server_exceptions=False)
    routes = sorted(_routes(client.app), key=lambda r: r == ("POST", "/logout"))
    wrong = []
    for method, template in routes:
        rule = rules()[(method, template)]
        path = template.format(
            user_id="{user_id}", **{k: v for k, v in world.params.items() if k != "user_id"}
        )
        identities = [("anonymous", {}), *((role, {"role": role}) for role in Role)]
        for who, spec in identities:
            role = spec.get("role")
            url = path.replace("{user_id}", str(world.people[role].id if role else 1))
            response = _request(client, method, url, cookie=world.secrets.get(role))
            if problem := _judge(rule, role or "anonymous", response, template):
                wrong.append(f"{method} {template} as {who}: {problem}")
        if template.startswith("/api/"):
            url = path.replace("{user_id}", str(world.people[A].id))
            # An admin's API token acts as the admin; a revoked one is refused at once.
            answer = _request(client, method, url, bearer=world.token)
            problem = _judge(rule, A, answer, template, bearer=True)
            if problem:
                wrong.append(f"{method} {template} with a token: {problem}")
            revoked = _request(client, method, url, bearer=world.revoked)
            if not rule.public and revoked.status_code != 401:
                wrong.append(f"{method} {template} with a revoked token: {revoked.status_code}")
        elif not rule.public:
            # Tokens are for the API: a page asked with one still wants a browser session.
            page = _request(client, method, path.replace("{user_id}", "1"), bearer=world.token)
            if not _signed_out(page):
                wrong.append(f"{method} {template} with a token: {page.status_code}")
    assert not wrong, "\n".join(wrong)


# --- object rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", OWNER_CHECKED_READS)
def test_a_rep_cannot_read_another_reps_records_but_their_manager_can(client, db, reps, url):
    ids = {k: getattr(reps, k).id for k in ("bobs", "acct", "opp", "bob")}
    target = url.format(**ids)
    assert sign_in(client, db, reps.ann).get(target, follow_redirects=False).status_code == 403
    assert sign_in(client, db, reps.bob).get(target).status_code not in (401, 403)
    assert sign_in(client, db, reps.boss).get(target).status_code not in (401, 403)


def test_a_rep_reads_their_own_the_unassigned_and_leads_routed_to_them(client, db, reps):
    sign_in(client, db, reps.ann)
    for contact in (reps.anns, reps.free, reps.routed):
        assert client.get(f"/api/v1/contacts/{contact.id}").status_code == 200
    assert client.get("/api/v1/contacts/999999").status_code == 404  # missing is still 404
    listed = {c["id"] for c in client.get("/api/v1/contacts?page_size=500").json()["items"]}
    assert reps.bobs.id not in listed and {reps.anns.id, reps.free.id} <= listed
    page = client.get("/contacts").text
    assert f'/contacts/{reps.bobs.id}"' not in page and f'/contacts/{reps.anns.id}"' in page


def test_settings_widen_or_narrow_what_reps_see(client, db, reps):
    settings = client.app.state.settings
    sign_in(client, db, reps.ann)
    settings.reps_see_unassigned = False
    assert client.get(f"/api/v1/contacts/{reps.free.id}").status_code == 403
    listed = {c["id"] for c in client.get("/api/v1/contacts?page_size=500").json()["items"]}
    assert reps.free.id not in listed and reps.anns.id in listed
    settings.reps_see_all_pipeline = True
    assert client.get(f"/api/v1/contacts/{reps.bobs.id}").status_code == 200
