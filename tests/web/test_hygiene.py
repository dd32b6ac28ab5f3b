"""Web hygiene, each checked over HTTP: headers, cookies, throttling, session expiry, token
revocation, no passwords in logs, upload limits and names, bad input refused unchanged."""

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.audit.models import AuditEvent
from tandem.auth import service as auth
from tandem.auth.models import User, UserSession
from tandem.auth.roles import Role
from tandem.auth.schemas import UserCreate
from tandem.db import utcnow
from tandem.web.app import create_app
from tandem.web.csrf import CSRF_COOKIE
from tandem.web.deps import SESSION_COOKIE
from tandem.web.security import CSP
from tests import factories as f
from tests.factories import PASSWORD

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "tandem" / "web" / "templates"


def _person(db, role=Role.ADMIN, **kw):
    row = User(
        email=kw.get("email", f"{role.value}@hygiene.example"),
        name="H",
        password_hash="!",
        role=role,
    )
    db.add(row)
    db.flush()
    return row


def _sign_in(client, db, user, **kw):
    secret = auth.start_session(db_session=db, user=user, now=kw.get("now", utcnow()), hours=1)
    db.flush()
    client.cookies.set(SESSION_COOKIE, secret)
    client.get("/login")
    return secret


def _csrf(client):
    return client.cookies.get(CSRF_COOKIE)


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/login"),
        ("GET", "/"),  # a redirect to sign in
        ("GET", "/static/tandem.css"),
        ("GET", "/api/v1/health"),
        ("GET", "/api/v1/me"),  # 401
        ("GET", "/no/such/page"),  # 404
        ("POST", "/login"),  # 403 without a CSRF token
    ],
)
def test_security_headers_on_every_kind_of_response(client, method, path):
    headers = client.request(method, path, follow_redirects=False).headers
    assert headers["content-security-policy"] == CSP
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"


def test_the_csp_allows_no_inline_script_and_no_template_has_any():
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text()
        offenders += [
            f"{template.name}: inline <script>"
            for _ in re.findall(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", html)
        ]
        offenders += [f"{template.name}: {m}" for m in re.findall(r"\son[a-z]+=", html)]
        offenders += [f"{template.name}: javascript: URL" for _ in re.findall(r"javascript:", html)]
    assert offenders == []


# --- cookies ----------------------------------------------------------------------------------


def _set_cookies(response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}


def _login(client, email, password=PASSWORD):
    client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": _csrf(client), "next": "/"},
        follow_redirects=False,
    )


@pytest.mark.parametrize(
    "scheme,setting,secure",
    [("http", False, False), ("https", False, True), ("http", True, True)],
)
def test_cookies_are_httponly_samesite_and_secure_over_https_or_when_set(
    settings, connection, db, scheme, setting, secure
):
    app = create_app(settings.model_copy(update={"cookie_secure": setting}))
    app.state.session_factory = lambda: Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    user = f.user(db, role=Role.MARKETER)
    with TestClient(app, base_url=f"{scheme}://testserver") as client:
        csrf = _set_cookies(client.get("/login"))[CSRF_COOKIE]
        token = csrf.split(";", 1)[0].split("=", 1)[1]
        form = {"email": user.email, "password": PASSWORD, "csrf_token": token, "next": "/"}
        # Sent by hand: a client keeps a Secure cookie to itself over plain http.
        signed_in = client.post(
            "/login",
            data=form,
            headers={"Cookie": f"{CSRF_COOKIE}={token}"},
            follow_redirects=False,
        )
        session = _set_cookies(signed_in)[SESSION_COOKIE]
    for cookie in (csrf, session):
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert ("Secure" in cookie) is secure


# --- sign-in throttling and session expiry -----------------------------------------------------


def test_login_is_rate_limited_after_five_failures(client, db):
    user = _person(db, Role.SALES_REP)
    for _ in range(5):
        assert _login(client, user.email, "wrong").status_code == 401
    refused = _login(client, user.email, "wrong")
    assert refused.status_code == 429 and "Too many sign-in attempts" in refused.text


def test_an_idle_session_ends(client, db):
    user = _person(db)
    secret = _sign_in(client, db, user)
    assert client.get("/", follow_redirects=False).status_code == 200
    row = db.scalar(select(UserSession).where(UserSession.user_id == user.id))
    idle = client.app.state.settings.session_idle_minutes
    row.last_seen_at = utcnow() - timedelta(minutes=idle + 1)
    db.flush()
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert client.get("/api/v1/me").status_code == 401
    stale = timedelta(minutes=idle)
    assert auth.user_for_session(db_session=db, secret=secret, now=utcnow(), idle=stale) is None


def test_use_keeps_a_session_alive_until_its_absolute_end(db):
    user = _person(db)
    t0 = utcnow()
    secret = auth.start_session(db_session=db, user=user, now=t0, hours=2)
    idle = timedelta(minutes=30)
    for minutes in (20, 40, 60, 80, 100):  # each use within 30 minutes of the last
        at = t0 + timedelta(minutes=minutes)
        assert auth.user_for_session(db_session=db, secret=secret, now=at, idle=idle) is user
    # Past the absolute end (2 hours) no amount of use helps.
    late = t0 + timedelta(minutes=121)
    assert auth.user_for_session(db_session=db, secret=secret, now=late, idle=idle) is None


# --- API tokens -------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_at_once_and_the_revocation_is_audited(client, db):
    user = _person(db, Role.MARKETER)
    token, plain = auth.create_api_token(db_session=db, user=user, name="zapier")
    db.flush()
    bearer = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    auth.revoke_api_token(db_session=db, token_id=token.id, now=utcnow(), actor_id=user.id)
    db.flush()
    refused = client.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.revoke"))
    assert event.before == {"revoked_at": None} and event.after["prefix"] == token.prefix


# --- passwords never logged -------------------------------------------------------------------


def test_passwords_never_reach_the_logs(client, db, caplog, capsys):
    password = "Sekr1t-Canary-9f3c"
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # statements and parameters
    try:
        with caplog.at_level(logging.DEBUG):
            auth.create_user(
                db_session=db,
                user_in=UserCreate(
                    email="canary@example.com", name="Canary", password=password, role=Role.ADMIN
                ),
            )
            db.flush()
            assert _login(client, "canary@example.com", password).status_code == 303
            assert _login(client, "canary@example.com", password + "x").status_code == 401
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    captured = capsys.readouterr()
    assert caplog.records  # the capture saw the sign-ins' queries
    for text in (caplog.text, captured.out, captured.err):
        assert password not in text


# --- uploads ----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db, settings, tmp_path):
    client.app.state.settings.data_dir = tmp_path / "data"
    _sign_in(client, db, _person(db))
    return client


def _upload(client, name, content, **extra):
    return client.post(
        "/ingest/preview",
        data={"kind": "contacts", "profile": "hubspot", "csrf_token": _csrf(client)},
        files={"file": (name, content, "text/csv")},
        headers={"X-CSRF-Token": _csrf(client)},
        **extra,
    )


def test_an_upload_over_the_limit_is_413_with_a_clear_message(admin_client, db):
    admin_client.app.state.settings.upload_max_bytes = 2_000
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    response = _upload(admin_client, "big.csv", b"Email\n" + b"a@example.com\n" * 500)
    assert response.status_code == 413
    assert "over the" in response.text and "tandem import" in response.text
    assert response.headers["x-frame-options"] == "DENY"
    assert not (admin_client.app.state.settings.data_dir / "imports").exists() or not list(
        (admin_client.app.state.settings.data_dir / "imports").iterdir()
    )
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_a_streamed_upload_is_cut_off_at_the_limit(admin_client):
    admin_client.app.state.settings.upload_max_bytes = 2_000

    def chunks():
        yield b"x" * 1_500
        yield b"x" * 1_500

    response = admin_client.post(
        "/ingest/preview",
        content=chunks(),
        headers={
            "X-CSRF-Token": _csrf(admin_client),
            "content-type": "multipart/form-data; boundary=b",
        },
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "name", ["../../../outside.csv", "..\\..\\outside.csv", "/etc/passwd", "a/../../b.csv", ".."]
)
def test_upload_file_names_cannot_escape_the_imports_folder(admin_client, name):
    data_dir = admin_client.app.state.settings.data_dir
    response = _upload(admin_client, name, b"Email,First Name\nann@example.com,Ann\n")
    assert response.status_code == 200
    stored = [p for p in data_dir.parent.rglob("*") if p.is_file()]
    assert stored and all(p.parent == data_dir / "imports" for p in stored)


# --- bad input --------------------------------------------------------------------------------


def test_malformed_and_mistyped_posts_are_clear_4xx_and_change_nothing(client, db):
    manager = _person(db, Role.SALES_MANAGER)
    _sign_in(client, db, manager)
    token = {"X-CSRF-Token": _csrf(client)}
    count = lambda model: db.scalar(select(func.count()).select_from(model))  # noqa: E731
    before = (count(AuditEvent), count(UserSession))
    answers = [
        # A JSON body where a form is expected, and a form where JSON is expected.
        client.post("/goals", json={"metric": "revenue"}, headers=token),
        client.post("/api/v1/goals", data={"metric": "revenue"}, headers=token),
        client.post(
            "/api/v1/goals",
            content=b"{not json",
            headers={**token, "content-type": "application/json"},
        ),
        client.post(
            "/api/v1/goals", content=b"metric=x", headers={**token, "content-type": "text/plain"}
        ),
        client.put(
            f"/api/v1/handoff/reps/{manager.id}/settings",
            content=b"[1,2",
            headers={**token, "content-type": "application/json"},
        ),
        client.post("/api/v1/scoring/versions", json={"yaml_text": ""}, headers=token),
        client.post("/goals/not-a-number/delete", headers=token),
        client.get("/api/v1/audit?start=yesterday"),
        client.get("/api/v1/contacts?page=0"),
    ]
    statuses = [r.status_code for r in answers]
    assert all(400 <= s < 500 for s in statuses), str(statuses)
    for response in answers:
        if response.headers["content-type"].startswith("application/json"):
            assert response.json()["detail"]  # says what was wrong
    assert (count(AuditEvent), count(UserSession)) == before
