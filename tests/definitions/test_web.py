"""Routing and SLA in the browser and the API: propose with inline file:line issues, the other
role approves, the pages and JSON read the same view-model, and other roles get 403."""

import pytest
from sqlalchemy import func, select

from tandem.auth import service as auth
from tandem.definitions.models import DefinitionVersion
from tests.handoff.conftest import ROUTING, SLA
from tests.handoff.test_pages import csrf, signed_in


def _stored(db) -> int:
    return db.scalar(select(func.count()).select_from(DefinitionVersion))


def test_a_manager_proposes_in_the_browser_and_an_admin_approves(client, db, team):
    signed_in(client, team["manager"])
    posted = client.post(
        "/admin/routing/proposals",
        data={"csrf_token": csrf(client), "text": ROUTING, "note": "first territories"},
        follow_redirects=False,
    )
    assert (posted.status_code, posted.headers["location"]) == (
        303,
        "/admin/routing?done=proposed-v1",
    )
    page = client.get("/admin/routing").text
    assert "Waiting for a decision (1)" in page and "The other role of the pair decides" in page
    (row,) = db.scalars(select(DefinitionVersion)).all()
    signed_in(client, team["admin"])
    assert f"/admin/routing/versions/{row.id}/approve" in client.get("/admin/routing").text
    approved = client.post(
        f"/admin/routing/versions/{row.id}/approve",
        data={"csrf_token": csrf(client), "note": "agreed"},
        follow_redirects=False,
    )
    assert approved.headers["location"] == "/admin/routing?done=active-v1"
    view = client.get("/api/v1/definitions/routing").json()
    assert (view["active"]["version"], view["active"]["decided_by"]) == (1, team["admin"].name)
    assert view["proposals"] == []


def test_a_proposal_with_errors_shows_each_issue_at_its_line_and_stores_nothing(client, db, team):
    signed_in(client, team["admin"])
    bad = ROUTING.replace("bob@example.com", "zed@example.com")
    response = client.post(
        "/admin/routing/proposals", data={"csrf_token": csrf(client), "text": bad}
    )
    assert response.status_code == 422
    assert "&lt;routing&gt;:10: error: teams.us.reps[1].user_id: rep &#39;zed@example.com&#39;" in (
        response.text
    )
    assert "zed@example.com" in response.text.split("<textarea", 1)[1]  # the text is kept
    assert _stored(db) == 0


@pytest.mark.parametrize("who", ["rep", "marketer"])
def test_other_roles_neither_see_nor_open_the_admin_pages(client, team, who):
    signed_in(client, team[who])
    assert "/admin/routing" not in client.get("/").text
    assert client.get("/admin/routing").status_code == 403
    assert client.get("/admin/sla").status_code == 403


def test_the_api_proposes_decides_once_and_names_unknown_kinds(client, db, team):
    _, manager = auth.create_api_token(db_session=db, user=team["manager"], name="m")
    _, admin = auth.create_api_token(db_session=db, user=team["admin"], name="a")
    db.flush()

    def as_(token):
        return {"Authorization": f"Bearer {token}"}

    made = client.post("/api/v1/definitions/routing", json={"text": ROUTING}, headers=as_(manager))
    assert made.status_code == 201 and made.json()["status"] == "proposed"
    vid = made.json()["id"]
    own = client.post(
        f"/api/v1/definitions/routing/versions/{vid}/approve", json={}, headers=as_(manager)
    )
    assert own.status_code == 403
    done = client.post(
        f"/api/v1/definitions/routing/versions/{vid}/approve", json={}, headers=as_(admin)
    )
    assert (done.status_code, done.json()["status"]) == (200, "active")
    again = client.post(
        f"/api/v1/definitions/routing/versions/{vid}/approve", json={}, headers=as_(admin)
    )
    assert again.status_code == 409
    wrong = client.post("/api/v1/definitions/routing", json={"text": SLA}, headers=as_(manager))
    assert wrong.status_code == 422 and wrong.json()["detail"]["issues"][0]["level"] == "error"
    assert client.get("/api/v1/definitions/routes", headers=as_(admin)).status_code == 404


def test_a_form_posted_with_crlf_lines_diffs_only_what_changed(client, db, team):
    signed_in(client, team["admin"])
    client.post("/admin/routing/proposals", data={"csrf_token": csrf(client), "text": ROUTING})
    (row,) = db.scalars(select(DefinitionVersion)).all()
    signed_in(client, team["manager"])
    client.post(f"/admin/routing/versions/{row.id}/approve", data={"csrf_token": csrf(client)})
    changed = ROUTING.replace("capacity: 2", "capacity: 3").replace("\n", "\r\n")
    client.post("/admin/routing/proposals", data={"csrf_token": csrf(client), "text": changed})
    (proposal,) = client.get("/api/v1/definitions/routing").json()["proposals"]
    changes = [
        line
        for line in proposal["diff"].splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changes == [
        "-      - {user_id: ann@example.com, capacity: 2}",
        "+      - {user_id: ann@example.com, capacity: 3}",
    ]
    assert "\r" not in proposal["text"]
