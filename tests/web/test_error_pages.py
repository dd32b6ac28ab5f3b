"""Errors are pages for people (with the menu) in the browser, JSON under /api/."""

import pytest
from fastapi import APIRouter

from tandem.auth.roles import Role
from tests import factories as f
from tests.web.test_pages import login


@pytest.fixture
def marketer(db, client):
    user = f.user(db, role=Role.MARKETER, name="Mia Marketer")
    db.flush()
    assert login(client, user.email).status_code == 303
    return user


def test_an_unknown_page_is_a_styled_404_with_the_menu(client, marketer):
    answer = client.get("/no/such/page")
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert "Nothing here" in answer.text and 'class="topbar"' in answer.text
    assert "Mia Marketer" in answer.text and '"detail"' not in answer.text


def test_a_forbidden_page_says_so_in_words(client, marketer):
    answer = client.get("/handoff/queue")
    assert answer.status_code == 403
    assert "This page is not open to your role" in answer.text and 'class="topbar"' in answer.text


def test_the_api_keeps_answering_json(client, marketer):
    assert client.get("/api/v1/no-such-thing").json() == {"detail": "Not Found"}


def test_a_crash_is_a_500_page_and_json_under_api(app, db):
    from fastapi.testclient import TestClient

    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    @router.get("/api/boom")
    def api_boom() -> None:
        raise RuntimeError("kaboom")

    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/boom")
        assert page.status_code == 500 and "Something went wrong on our side" in page.text
        assert "kaboom" not in page.text
        assert client.get("/api/boom").json() == {"detail": "internal server error"}
