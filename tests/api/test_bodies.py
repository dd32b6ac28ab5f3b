"""Hostile request bodies on every kind of JSON route: a proper 4xx, never a 500."""

import json

import pytest

from tandem.auth import service as auth
from tandem.auth.roles import Role
from tests import factories

# An ingest route (reads its own body), a pydantic-body route, a list-body route.
ROUTES = ["/api/v1/activities", "/api/v1/goals", "/api/v1/handoff/inbox/read"]


@pytest.fixture
def token(db):
    admin = factories.user(db, role=Role.ADMIN)
    return {
        "Authorization": f"Bearer {auth.create_api_token(db_session=db, user=admin, name='t')[1]}"
    }


def _post(client, route, token, content, content_type="application/json"):
    headers = {**token, "content-type": content_type}
    return client.post(route, content=content, headers=headers)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "body",
    [b'{"a": 1', b"\xff\xfe\x00garbage", b"", b'{"a": NaN}'],
    ids=["truncated", "not-utf8", "empty", "nan"],
)
def test_malformed_json_is_a_4xx(client, token, route, body):
    if route.endswith("/inbox/read") and not body:
        return  # no body there means "mark everything read"
    response = _post(client, route, token, body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("depth", [100_000])
def test_deep_nesting_is_a_4xx_or_rejected_item(client, token, route, depth):
    response = _post(client, route, token, b"[" * depth + b"]" * depth)
    assert response.status_code < 500, response.text
    nested = b'{"a":' * depth + b"1" + b"}" * depth
    assert _post(client, route, token, nested).status_code < 500


@pytest.mark.parametrize("route", ROUTES)
def test_huge_body_is_413_declared_or_streamed(client, token, route):
    client.app.state.settings.ingest_max_body_bytes = 1_000
    huge = json.dumps([{"contact_email": "a@b.co", "type": "web_visit"}] * 100).encode()
    declared = _post(client, route, token, huge)
    assert declared.status_code == 413, declared.text

    def chunks():  # no Content-Length: the limit counts what arrives
        for _ in range(50):
            yield b" " * 100

    response = client.post(
        route, content=chunks(), headers={**token, "content-type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert "1,000 bytes" in response.json()["detail"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "multipart/form-data; boundary=x"],
)
def test_wrong_content_type_is_415_or_422(client, token, route, content_type):
    response = _post(client, route, token, b'{"contact_email": "a@b.co"}', content_type)
    assert response.status_code in (415, 422), response.text


@pytest.mark.parametrize(
    "email",
    ["zoë@exämple.com", "\u202etxt.exe@evil.com", "a\u0000b@x.com", "😀@x.com", "a@b.co\ud800"],
    ids=["accents", "rtl-override", "nul", "emoji", "lone-surrogate"],
)
def test_unicode_oddities_are_stored_or_rejected_per_item(client, token, email):
    item = {"contact_email": email, "type": "web_visit", "occurred_at": "2026-03-01T10:00:00Z"}
    body = json.dumps([item]).encode("utf-8", "surrogatepass")
    response = _post(client, "/api/v1/activities", token, body)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert response.json()["items"][0]["status"] in ("new", "rejected")
    query = client.get(
        "/api/v1/contacts",
        params={"q": email.encode("utf-8", "surrogatepass").decode("utf-8", "replace")},
        headers=token,
    )
    assert query.status_code in (200, 422)  # PostgreSQL text cannot hold NUL
