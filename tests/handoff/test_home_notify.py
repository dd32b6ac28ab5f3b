"""Each role's home, the bell in the top bar, and notifications that follow their lead: done
once the lead is accepted, rejected or closed; managers told of rejects and of proposals."""

import re

import pytest
from sqlalchemy import select

from tandem.auth.roles import Role
from tandem.db import utcnow
from tandem.definitions import service as definitions
from tandem.handoff.definitions import ROUTING
from tandem.handoff.models import Notification
from tandem.lifecycle.service import move_stage

from .conftest import ROUTING as ROUTING_TEXT
from .conftest import person
from .test_pages import csrf, signed_in


def _bell(html: str) -> int:
    found = re.search(r'id="bell-count">(\d+)<', html)
    return int(found.group(1)) if found else 0


def _unread(db, user) -> list[str]:
    db.expire_all()
    return db.scalars(
        select(Notification.kind).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ).all()


def test_a_rep_lands_on_the_queue_with_registry_figures(client, people, lead):
    html = signed_in(client, people.ann).get("/").text
    queue = html.split('id="home-queue"')[1].split("</table>")[0]
    assert "Ada Lovelace" in queue and f"/handoff/leads/{lead.id}/accept" in queue
    assert 'data-metric="acceptance_rate"' in html and 'data-metric="accept_sla"' in html
    assert "<h1>Scorecard</h1>" in html  # the shared scorecard stays below


def test_a_manager_lands_on_the_team_and_the_board_summary(client, people, lead):
    html = signed_in(client, people.boss).get("/").text
    team = html.split('id="home-team"')[1].split("</table>")[0]
    assert "Ann Rep" in team and 'href="/handoff/board"' in html
    assert 'data-metric="rejections_with_reason"' in html


def test_a_marketer_lands_on_the_funnel_and_campaigns(client, people, lead):
    html = signed_in(client, people.mia).get("/").text
    assert 'id="home-campaigns"' in html and 'data-metric="conversion_mql_to_sal"' in html
    assert 'id="home-queue"' not in html and "My queue" not in html


def test_an_executive_lands_on_the_scorecard(client, db, people, lead):
    cro = person(db, Role.EXECUTIVE, "cro@example.com", "Cy Exec")
    html = signed_in(client, cro).get("/").text
    assert 'class="home-work"' not in html and 'data-metric="win_rate"' in html
    assert "Cy Exec · Executive" in html


def test_accepting_the_lead_takes_its_notification_off_the_bell(client, db, people, lead):
    signed_in(client, people.ann)
    before = _bell(client.get("/handoff/queue").text)
    assert "new_lead" in _unread(db, people.ann) and before >= 1
    client.post(f"/handoff/leads/{lead.id}/accept", data={"csrf_token": csrf(client)})
    assert "new_lead" not in _unread(db, people.ann)
    assert _bell(client.get("/handoff/queue").text) == before - 1


def test_a_reject_is_done_for_the_rep_and_news_for_the_manager(client, db, people, lead):
    signed_in(client, people.ann)
    answer = client.post(
        f"/handoff/leads/{lead.id}/reject",
        data={"csrf_token": csrf(client), "reason_code": "no_budget"},
    )
    assert answer.status_code == 200
    assert "new_lead" not in _unread(db, people.ann)
    assert _unread(db, people.boss) == ["lead_rejected"]
    page = signed_in(client, people.boss).get("/notifications").text
    assert "Ann Rep rejected Ada Lovelace" in page and "Reason: no_budget" in page
    assert _bell(page) == 1


def test_a_closed_lead_needs_nothing_more(db, people, lead):
    assert "new_lead" in _unread(db, people.ann)
    move_stage(
        db_session=db,
        contact=lead,
        to_stage="disqualified",
        at=utcnow(),
        cause="test",
        reason="spam",
    )
    db.flush()
    assert "new_lead" not in _unread(db, people.ann)


def test_a_proposal_rings_the_approvers_bell(client, db, people, config):
    admin = person(db, Role.ADMIN, "ops@example.com", "Ops Admin")
    row = definitions.propose(
        db_session=db,
        kind=ROUTING,
        text=ROUTING_TEXT + "\n# tidy\n",
        user=people.boss,
        at=utcnow(),
        source="web",
    )
    db.flush()
    html = signed_in(client, admin).get("/").text
    assert _bell(html) == 1 and f"v{row.version} waits for your approval" in html
    assert _bell(signed_in(client, people.boss).get("/").text) == 0  # not the proposer's


def test_the_notifications_page_marks_all_read(client, db, people, lead):
    signed_in(client, people.ann)
    page = client.get("/notifications").text
    assert "Open the lead" in page and _bell(page) >= 1
    client.post("/notifications/read", data={"csrf_token": csrf(client)})
    assert _unread(db, people.ann) == [] and _bell(client.get("/notifications").text) == 0


@pytest.mark.parametrize(
    "zone,shown", [("Asia/Tokyo", "2026-03-02 18:00"), ("", "2026-03-02 09:00")]
)
def test_dates_follow_the_users_time_zone(client, db, people, lead, zone, shown):
    signed_in(client, people.ann)
    saved = client.post("/settings", data={"csrf_token": csrf(client), "time_zone": zone})
    assert saved.status_code == 200 and 'id="saved"' in saved.text
    assert shown in client.get("/notifications").text  # the lead was handed off Monday 09:00 UTC


def test_an_unknown_time_zone_is_refused_beside_the_field(client, people):
    signed_in(client, people.ann)
    answer = client.post(
        "/settings", data={"csrf_token": csrf(client), "time_zone": "Mars/Olympus"}
    )
    assert answer.status_code == 422 and "is not one such as Europe/Paris" in answer.text
