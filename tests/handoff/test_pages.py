"""Handoff pages and JSON API through the app: queue, packet, accept/reject, board, reports."""

import re

from sqlalchemy import select

from tandem.auth import service as auth
from tandem.db import utcnow
from tandem.handoff.models import Handoff
from tandem.web.csrf import CSRF_COOKIE
from tandem.web.deps import SESSION_COOKIE

from .conftest import at, mql, tick


def signed_in(client, user):
    """Sign in through a real session row (the login form itself is tested in tests/web;
    skipping it here saves an argon2 verification per test)."""
    db = client.app.state.session_factory()
    secret = auth.start_session(db_session=db, user=user, now=utcnow(), hours=1)
    db.commit()
    client.cookies.set(SESSION_COOKIE, secret)
    client.get("/login")  # receive the CSRF cookie
    return client


def csrf(client):
    return client.cookies.get(CSRF_COOKIE)


def test_queue_lists_the_lead_with_its_clocks_and_an_accept_form(client, people, lead):
    html = signed_in(client, people.ann).get("/handoff/queue").text
    row = html.split('id="to-decide"')[1].split("</table>")[0]
    assert "Ada Lovelace" in row and "Helix Labs" in row and "score not available" in row
    assert f'action="/handoff/leads/{lead.id}/accept"' in row
    assert f'name="csrf_token" value="{csrf(client)}"' in row
    assert re.search(r"sla-(due|at_risk|breached)", row)


def test_packet_page_and_json_carry_the_handoff_facts(client, people, lead):
    html = signed_in(client, people.ann).get(f"/handoff/leads/{lead.id}").text
    for fact in (
        "Spring Webinar",
        "linkedin",
        "/webinars/spring",
        "Guide to Attribution",
        "Webinar attended",
        "Cee",
        "Helix expansion",
        "score not available",
        "Talk to the deal owner first",
    ):
        assert fact in html, fact
    data = client.get(f"/api/v1/handoff/leads/{lead.id}").json()
    assert data["first_arrival"]["campaign"] == "Spring Webinar"
    assert data["content"][0]["title"] == "Guide to Attribution"
    assert data["open_opportunities"][0]["name"] == "Helix expansion"
    assert data["committee"][0]["contacts"][0]["full_name"] == "Cee"
    assert data["score"] is None and data["score_note"] == "score not available"
    assert data["sla"]["accept"]["deadline"].startswith("2026-03-02T11:00")
    assert [s["stage"] for s in data["stages"]] == ["mql"]


def test_accept_form_needs_csrf_then_moves_the_lead_to_sal(client, db, people, lead):
    signed_in(client, people.ann)
    assert client.post(f"/handoff/leads/{lead.id}/accept").status_code == 403
    response = client.post(
        f"/handoff/leads/{lead.id}/accept",
        data={"csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/handoff/queue?done=accepted:{lead.id}"
    db.refresh(lead)
    assert lead.lifecycle_stage == "sal"
    html = client.get(response.headers["location"]).text
    assert 'id="done"' in html and "Ada Lovelace" in html.split('id="to-touch"')[1]


def test_reject_form_without_a_reason_names_the_field_and_changes_nothing(client, db, people, lead):
    signed_in(client, people.ann)
    response = client.post(
        f"/handoff/leads/{lead.id}/reject",
        data={"csrf_token": csrf(client), "comment": "not now"},
    )
    assert response.status_code == 422
    assert "Reason code: choose why you reject this lead" in response.text
    assert 'value="not now"' in response.text  # the comment is kept
    db.refresh(lead)
    assert lead.lifecycle_stage == "mql"
    response = client.post(
        f"/handoff/leads/{lead.id}/reject",
        data={"csrf_token": csrf(client), "reason_code": "no_budget", "comment": "not now"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.refresh(lead)
    assert lead.lifecycle_stage == "nurture"


def test_api_reject_without_or_with_a_bad_reason_is_422_naming_the_field(client, db, people, lead):
    signed_in(client, people.ann)
    headers = {"X-CSRF-Token": csrf(client)}
    url = f"/api/v1/handoff/leads/{lead.id}/reject"
    missing = client.post(url, json={"comment": "meh"}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "reason_code"]
    unknown = client.post(url, json={"reason_code": "meh"}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "reason_code"]
    assert "use one of: bad_fit, no_budget, existing_customer" in unknown.json()["detail"][0]["msg"]
    assert db.scalar(select(Handoff.status).where(Handoff.contact_id == lead.id)) == "open"


def test_api_conflicts_are_409_and_a_marketer_is_403(client, db, people, lead):
    _, bob_token = auth.create_api_token(db_session=db, user=people.bob, name="t")
    _, mia_token = auth.create_api_token(db_session=db, user=people.mia, name="t")
    _, ann_token = auth.create_api_token(db_session=db, user=people.ann, name="t")
    url = f"/api/v1/handoff/leads/{lead.id}/accept"

    def accept(token):
        return client.post(url, headers={"Authorization": f"Bearer {token}"})

    assert accept(mia_token).status_code == 403
    # Issue 21: the 409 named the lead and whose queue it is in. A lead routed to Ann is
    # Ann's: Bob is refused by the object rule, which names no one...
    not_mine = accept(bob_token)
    assert not_mine.status_code == 403
    assert "Ann" not in not_mine.text and "Ada" not in not_mine.text
    # ... and where reps see every rep's pipeline, the 409 still does not say whose queue.
    client.app.state.settings.reps_see_all_pipeline = True
    seen = accept(bob_token)
    assert seen.status_code == 409
    assert seen.json()["detail"] == "Ada Lovelace is in another rep's queue, not yours"
    client.app.state.settings.reps_see_all_pipeline = False
    ok = accept(ann_token)
    assert ok.status_code == 200 and ok.json()["lifecycle_stage"] == "sal"
    again = accept(ann_token)
    assert again.status_code == 409 and "already accepted by Ann Rep" in again.json()["detail"]


def test_api_writes_with_the_session_cookie_need_the_csrf_header(client, people, lead):
    signed_in(client, people.ann)
    url = f"/api/v1/handoff/leads/{lead.id}/accept"
    assert client.post(url).status_code == 403
    assert client.post(url, headers={"X-CSRF-Token": csrf(client)}).status_code == 200


def test_manager_board_shows_the_team_and_reps_are_refused(client, db, people, config, lead):
    tick(db, config, 2.5)  # breached
    assert signed_in(client, people.ann).get("/handoff/board").status_code == 403
    client.cookies.clear()
    html = signed_in(client, people.boss).get("/handoff/board").text
    assert "Ada Lovelace" in html.split('id="board-leads"')[1]
    reps = html.split('id="reps"')[1].split("</table>")[0]
    assert re.search(r"Ann Rep</td><td class=\"num\">1</td><td class=\"num\">0</td>"
                     r"<td class=\"num\">1</td>", reps)  # fmt: skip
    data = client.get("/api/v1/handoff/board").json()
    assert data["teams"] == ["us"] and data["leads"][0]["sla"]["urgency"] == "breached"
    assert [c["segment"] for c in data["commitments"]] == ["all", "enterprise"]


def test_marketing_sees_reject_reasons_by_campaign(client, db, people, config, lead):
    from tandem.handoff import service

    service.reject(
        db_session=db,
        config=config,
        contact_id=lead.id,
        user=people.ann,
        reason_code="no_budget",
        comment="frozen",
        as_of=at(1),
    )
    html = signed_in(client, people.mia).get("/handoff/reports?by=campaign&days=3660").text
    row = html.split('id="rejects"')[1].split("</table>")[0]
    assert "Spring Webinar" in row and "100.0%" in row
    assert "frozen" in html.split('id="recent-rejections"')[1]
    data = client.get("/api/v1/handoff/reports/rejects?by=source&days=3660").json()
    assert data["rows"][0]["key"] == "linkedin"
    assert data["rows"][0]["by_reason"] == {"no_budget": 1}
    assert client.get("/api/v1/handoff/reports/rejects?by=colour").status_code == 422
    assert client.get("/handoff", follow_redirects=False).headers["location"] == "/handoff/reports"


def test_inbox_lists_notifications_and_settings_are_saved(client, db, people, lead):
    signed_in(client, people.ann)
    html = client.get("/handoff/inbox").text
    assert "New MQL in your queue: Ada Lovelace (Helix Labs)" in html
    assert "(1 unread)" in html
    client.post("/handoff/inbox/read", data={"csrf_token": csrf(client)})
    assert "(0 unread)" in client.get("/handoff/inbox").text
    client.post(
        "/handoff/settings",
        data={"csrf_token": csrf(client), "email_mode": "digest", "away": "true"},
    )
    assert client.get(f"/api/v1/handoff/reps/{people.ann.id}/settings").json() == {
        "away": True,
        "email_mode": "digest",
        "capacity": None,
    }
    refused = client.put(
        f"/api/v1/handoff/reps/{people.ann.id}/settings",
        json={"capacity": 9},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert refused.status_code == 403  # capacity is the manager's call


def test_routing_test_page_and_api(client, people, db):
    person = mql(db, first_name="Route", employees=50)
    signed_in(client, people.ann)
    html = client.get(f"/handoff/routing?contact={person.id}").text
    assert "Rule <code>us</code>" in html and "ann@example.com" in html
    data = client.get(f"/api/v1/handoff/routing/{person.id}").json()
    assert (data["rule_id"], data["owner_id"], data["tier"]) == ("us", people.ann.id, "standard")
    assert client.get("/api/v1/handoff/routing/999999").status_code == 404


def test_broken_configuration_is_a_503_naming_file_and_line(client, people, handoff_files):
    routing, _ = handoff_files
    routing.write_text(routing.read_text().replace("bob@example.com", "zed@example.com"))
    response = signed_in(client, people.ann).get("/api/v1/handoff/queue")
    assert response.status_code == 503
    assert (
        f"{routing}:10: error: teams.us.reps[1].user_id: rep 'zed@example.com' is not a "
        in (response.json()["detail"])
    )
