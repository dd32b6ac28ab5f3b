"""`/admin/users` and its API: an invitation sent through a real SMTP server (aiosmtpd on
loopback) is followed, a password chosen and signed in with; deactivation refuses sessions and
tokens at once; resets, roles and tokens are audited; other roles get 403 and no link."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tandem.auth import admin
from tandem.auth.models import User, UserLink
from tandem.auth.roles import Role
from tandem.auth.tokens import digest
from tandem.db import utcnow
from tandem.web.deps import SESSION_COOKIE
from tests import factories as f
from tests.handoff.test_mail import Inbox, free_port
from tests.handoff.test_pages import csrf, signed_in

LINK = re.compile(r"http://testserver/password/([A-Za-z0-9_-]+)")


@pytest.fixture
def smtp(client):
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = client.app.state.settings
    settings.smtp_host, settings.smtp_port, settings.smtp_from = "127.0.0.1", port, "ops@t.example"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def ops(db):
    return f.user(db, Role.ADMIN, email="ops@example.com")


def _actions(db, user_id: int) -> list[str]:
    rows = db.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "user", AuditEvent.entity_id == str(user_id))
        .order_by(AuditEvent.id)
    )
    return list(rows)


def _invite(client, email="nia@example.com", role="marketer", **extra):
    form = {"email": email, "name": "Nia Okafor", "role": role, "team": "", **extra}
    return client.post("/admin/users", data=form | {"csrf_token": csrf(client)})


def test_an_invited_user_follows_the_emailed_link_sets_a_password_and_signs_in(
    client, db, ops, smtp
):
    signed_in(client, ops)
    page = _invite(client)
    assert page.status_code == 201 and "Invitation sent to nia@example.com" in page.text
    (msg,) = smtp.to("nia@example.com")
    assert msg["Subject"] == "You are invited to Tandem" and msg["From"] == "ops@t.example"
    token = LINK.search(msg.get_content()).group(1)
    invited = db.scalar(select(User).where(User.email == "nia@example.com"))
    assert (invited.role, admin.status_of(invited)) == ("marketer", "invited")
    link = db.scalar(select(UserLink).where(UserLink.user_id == invited.id))
    assert link.token_hash == digest(token) and token not in link.token_hash  # only the hash
    assert "<td>invited</td>" in client.get("/admin/users").text

    client.cookies.clear()
    form = client.get(f"/password/{token}")
    assert form.status_code == 200 and "nia@example.com" in form.text
    differ = client.post(
        f"/password/{token}",
        data={"password": "s3cret-pass", "repeat": "other-pass", "csrf_token": csrf(client)},
    )
    assert differ.status_code == 422 and "the two passwords differ" in differ.text
    done = client.post(
        f"/password/{token}",
        data={"password": "s3cret-pass", "repeat": "s3cret-pass", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/login?next=/"
    again = client.get(f"/password/{token}")  # used: it works once
    assert again.status_code == 404 and "used already" in again.text
    signed = client.post(
        "/login",
        data={"email": "nia@example.com", "password": "s3cret-pass", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert signed.status_code == 303 and client.cookies.get(SESSION_COOKIE)
    assert client.get("/").status_code == 200
    assert _actions(db, invited.id) == ["user.invite", "user.set_password"]


def test_an_expired_link_does_not_work(client, db, ops):
    invited, token = admin.invite(
        db_session=db,
        email="late@example.com",
        name="Late",
        role=Role.SALES_REP,
        team=None,
        actor=ops,
        now=utcnow() - timedelta(hours=73),
    )
    db.flush()
    assert client.get(f"/password/{token}").status_code == 404
    with pytest.raises(admin.LinkInvalid):
        admin.set_password(db_session=db, token=token, password="long-enough", now=utcnow())
    assert invited.password_hash == admin.NO_PASSWORD


def test_a_deactivated_users_session_and_token_are_refused_at_once(client, db, ops):
    rep = f.user(db, Role.SALES_REP, email="rex@example.com")
    signed_in(client, ops)
    made = client.post(
        f"/admin/users/{rep.id}/tokens", data={"name": "crm sync", "csrf_token": csrf(client)}
    )
    assert made.status_code == 201
    plain = re.search(r'id="new-token">(tdm_[^<]+)<', made.text).group(1)
    bearer = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=bearer).json()["email"] == "rex@example.com"
    rep_session = signed_in(client, rep).cookies.get(SESSION_COOKIE)

    signed_in(client, ops)
    off = client.post(
        f"/admin/users/{rep.id}/status",
        data={"active": "false", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert off.headers["location"] == f"/admin/users/{rep.id}?done=deactivated"
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    client.cookies.set(SESSION_COOKIE, rep_session)
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert _actions(db, rep.id)[-1] == "user.deactivate"


def test_an_admin_may_not_deactivate_or_demote_themselves(client, db, ops):
    signed_in(client, ops)
    page = client.post(
        f"/admin/users/{ops.id}/status", data={"active": "false", "csrf_token": csrf(client)}
    )
    assert page.status_code == 409 and "another admin can" in page.text
    refused = client.post(
        f"/api/v1/admin/users/{ops.id}/role",
        json={"role": "marketer"},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert refused.status_code == 409
    db.refresh(ops)
    assert (ops.is_active, ops.role) == (True, "admin")


def test_role_changes_resets_and_revocations_through_the_api_are_audited(client, db, ops, smtp):
    rep = f.user(db, Role.SALES_REP, email="rae@example.com")
    _, token = admin.invite(
        db_session=db,
        email="x@example.com",
        name="X",
        role=Role.MARKETER,
        team=None,
        actor=ops,
        now=utcnow(),
    )
    from tandem.auth.service import create_api_token

    _, plain = create_api_token(db_session=db, user=ops, name="admin script")
    db.flush()
    bearer = {"Authorization": f"Bearer {plain}"}
    base = f"/api/v1/admin/users/{rep.id}"
    assert (
        client.post(f"{base}/role", json={"role": "sales_manager"}, headers=bearer).json()["role"]
        == "sales_manager"
    )
    assert client.post(f"{base}/role", json={"role": "owner"}, headers=bearer).status_code == 422
    reset = client.post(f"{base}/reset", headers=bearer).json()
    assert (reset["mail_error"], reset["link"]) == (None, None)
    (msg,) = smtp.to("rae@example.com")
    assert msg["Subject"] == "Reset your Tandem password"
    made = client.post(f"{base}/tokens", json={"name": "sync"}, headers=bearer)
    assert made.status_code == 201 and made.json()["token"].startswith("tdm_")
    listed = client.get(f"{base}/tokens", headers=bearer).json()
    assert [t["name"] for t in listed] == ["sync"] and listed[0]["token"] is None
    revoked = client.post(f"{base}/tokens/{listed[0]['id']}/revoke", headers=bearer)
    assert revoked.json()["revoked_at"] is not None
    other = client.post(
        f"/api/v1/admin/users/{ops.id}/tokens/{listed[0]['id']}/revoke", headers=bearer
    )
    assert other.status_code == 404  # not that user's token
    assert _actions(db, rep.id) == ["user.create", "user.set_role", "user.reset_link"]
    audited = db.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.create"))
    assert {e.actor_user_id for e in audited} == {ops.id}
    users = {u["email"]: u for u in client.get("/api/v1/admin/users", headers=bearer).json()}
    assert users["x@example.com"]["status"] == "invited"
    assert users["rae@example.com"]["live_tokens"] == 0
    assert token  # the invitation's link exists, unsent here


def test_without_a_mail_server_the_admin_is_shown_the_link(client, db, ops):
    signed_in(client, ops)
    page = _invite(client, email="solo@example.com")
    assert page.status_code == 201 and "was not sent: set TANDEM_SMTP_HOST" in page.text
    token = LINK.search(page.text).group(1)
    assert client.get(f"/password/{token}").status_code == 200


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"name": ""}, "name", "at least 1 character"),
        ({"name": "x" * 3000}, "name", "at most 200 characters"),
        ({"email": "a" * 300 + "@example.com"}, "email", "valid email"),
        ({"role": "owner"}, "role", "Input should be"),
        ({"email": "ops@example.com"}, "email", "already exists"),
    ],
)
def test_a_bad_invitation_says_which_field_and_stores_nothing(
    client, db, ops, form, field, message
):
    signed_in(client, ops)
    before = db.scalar(select(User.id).order_by(User.id.desc()).limit(1))
    page = _invite(client, **form)
    assert page.status_code in (409, 422, 400)
    beside = page.text.split(f'id="error-{field}">', 1)[1].split("<", 1)[0]
    assert message in beside
    assert db.scalar(select(User.id).order_by(User.id.desc()).limit(1)) == before


@pytest.mark.parametrize("role", [Role.SALES_REP, Role.MARKETER, Role.SALES_MANAGER])
def test_other_roles_get_403_and_no_users_link(client, db, role):
    someone = f.user(db, role)
    signed_in(client, someone)
    assert client.get("/admin/users").status_code == 403
    assert 'href="/admin/users"' not in client.get("/").text
    assert client.get("/api/v1/admin/users").status_code == 403


def test_the_admin_sees_the_users_link(client, db, ops):
    assert 'href="/admin/users"' in signed_in(client, ops).get("/").text
