"""The pipeline board moves deals through the lifecycle (a logged transition each time) and
asks for a reason where the lifecycle needs one; timelines take notes, tasks, calls and
meetings, a rep's logged call is an activity, and open tasks are listed with overdue ones
marked."""

import datetime as dt

from sqlalchemy import select

from tandem.activities.models import Activity
from tandem.lifecycle.models import DealStageTransition
from tandem.records.models import TimelineEntry
from tests.records.helpers import as_user, post


def test_the_board_shows_columns_and_totals_in_the_workspace_currency(client, db, team):
    as_user(client, db, team.boss)
    page = client.get("/opportunities/board")
    assert page.status_code == 200
    assert 'src="/static/board.js"' in page.text and "cdn" not in page.text.lower()
    board = client.get("/api/v1/opportunities/board").json()
    discovery = next(c for c in board["columns"] if c["stage"] == "discovery")
    assert discovery["count"] == 2 and float(discovery["total"]) == 20000.0
    assert board["currency"] == "USD"
    # Ann sees her deal only.
    as_user(client, db, team.ann)
    mine = client.get("/api/v1/opportunities/board").json()
    names = [c["name"] for col in mine["columns"] for c in col["cards"]]
    assert names == ["Ann's deal"]


def test_a_board_move_changes_the_stage_through_the_lifecycle(client, db, team):
    as_user(client, db, team.ann)
    deal = team.anns_opp
    form = {"stage": "proposal", "version": str(deal.version), "back": "board"}
    moved = post(client, f"/opportunities/{deal.id}/stage", form)
    assert moved.status_code == 303 and moved.headers["location"].startswith("/opportunities/board")
    db.refresh(deal)
    assert deal.stage == "proposal"
    log = db.scalars(
        select(DealStageTransition).where(DealStageTransition.opportunity_id == deal.id)
    ).all()
    assert [(t.from_stage, t.to_stage, t.by_user_id) for t in log] == [
        ("discovery", "proposal", team.ann.id)
    ]
    # Closed lost needs a lost reason: asked, not moved.
    lost = {"stage": "closed_lost", "version": str(deal.version), "back": "board"}
    asked = post(client, f"/opportunities/{deal.id}/stage", lost)
    assert asked.status_code == 422 and "needs a lost reason" in asked.text
    db.refresh(deal)
    assert deal.stage == "proposal"
    # A stale card (an older version) is refused.
    stale = post(
        client, f"/opportunities/{deal.id}/stage", {**lost, "version": "1", "lost_reason": "price"}
    )
    assert stale.status_code == 409 and "changed by" in stale.text
    # Another rep's deal, and marketers: refused by the permission table.
    bobs = {"stage": "proposal", "version": "1"}
    assert post(client, f"/opportunities/{team.opp.id}/stage", bobs).status_code == 403
    as_user(client, db, team.mark)
    assert post(client, f"/opportunities/{deal.id}/stage", bobs).status_code == 403


def test_a_rep_logs_a_call_and_a_task_on_a_lead_routed_to_her(client, db, team):
    as_user(client, db, team.ann)
    lead = team.routed
    call = post(
        client, f"/contacts/{lead.id}/entries", {"kind": "call", "subject": "Intro call <b>"}
    )
    assert call.status_code == 303, call.text
    entry = db.scalars(select(TimelineEntry).where(TimelineEntry.contact_id == lead.id)).one()
    activity = db.get(Activity, entry.activity_id)
    assert (activity.type, activity.actor_user_id, activity.contact_id) == (
        "sales_call",
        team.ann.id,
        lead.id,
    )
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    task = {"kind": "task", "subject": "Send the proposal", "due_on": yesterday}
    assert post(client, f"/contacts/{lead.id}/entries", task).status_code == 303
    page = client.get(f"/contacts/{lead.id}").text
    assert "Intro call &lt;b&gt;" in page and "Send the proposal" in page
    tasks = client.get("/tasks").text
    assert "Send the proposal" in tasks and "overdue" in tasks
    listed = client.get("/api/v1/tasks").json()
    assert [(t["subject"], t["overdue"]) for t in listed] == [("Send the proposal", True)]
    done = post(client, f"/entries/{listed[0]['id']}/done", {"back": "/tasks"})
    assert done.status_code == 303
    assert client.get("/api/v1/tasks").json() == []


def test_bad_entries_are_named_and_not_stored(client, db, team):
    as_user(client, db, team.ann)
    lead = team.anns
    cases = [
        ({"kind": "task", "subject": "No date"}, "a task needs a due date"),
        ({"kind": "note", "subject": ""}, "Subject is required"),
        ({"kind": "note", "subject": "x" * 201}, "at most 200 characters"),
        ({"kind": "lunch", "subject": "x"}, "Kind should be"),
        ({"kind": "task", "subject": "x", "due_on": "2026-02-30"}, "Due should be a valid date"),
        (
            {"kind": "task", "subject": "x", "due_on": "2026-03-01", "owner_id": str(team.bob.id)},
            "gives tasks to themselves",
        ),
    ]
    for form, message in cases:
        answer = post(client, f"/contacts/{lead.id}/entries", form)
        assert answer.status_code == 422, form
        assert message in answer.text, (form, answer.text[-1500:])
    assert db.scalars(select(TimelineEntry).where(TimelineEntry.contact_id == lead.id)).all() == []
    # Another rep's contact: refused before anything is read.
    assert post(client, f"/contacts/{team.bobs.id}/entries", cases[1][0]).status_code == 403


def test_entries_through_the_api_on_accounts_and_deals(client, db, team, token_of):
    headers = {"Authorization": f"Bearer {token_of(team.boss)}"}
    meeting = {"kind": "meeting", "subject": "QBR", "occurred_at": "2026-03-02T10:00:00Z"}
    on_account = client.post(
        f"/api/v1/accounts/{team.acct.id}/entries", json=meeting, headers=headers
    )
    assert on_account.status_code == 201 and on_account.json()["activity_id"] is None
    team.opp.primary_contact_id = team.bobs.id
    db.flush()
    on_deal = client.post(
        f"/api/v1/opportunities/{team.opp.id}/entries", json=meeting, headers=headers
    )
    assert on_deal.status_code == 201 and on_deal.json()["activity_id"] is not None
    listed = client.get(f"/api/v1/opportunities/{team.opp.id}/entries", headers=headers).json()
    assert [e["subject"] for e in listed] == ["QBR"]
    future = {**meeting, "occurred_at": "2099-01-01T00:00:00Z"}
    late = client.post(f"/api/v1/accounts/{team.acct.id}/entries", json=future, headers=headers)
    assert late.status_code == 422
