"""`ActivitiesStored` tells subscribers about exactly the newly stored activities, in the
writer's transaction, from the event API and from CSV imports alike."""

import pytest
from sqlalchemy import select, update

from tandem.activities.models import Activity
from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.events import ActivitiesStored, EventBus, session_info
from tests import factories as f


@pytest.fixture
def received(db, app):
    """Batches a subscriber got, as (id, contact, type, time) tuples; the subscriber also writes
    through the session it is given (what scoring does). Subscribed on a bus of its own, which
    the app's sessions and the test's session (imports) publish to."""
    got = []

    def handler(session, event):
        activities = event.activities
        got.append([(a.id, a.contact_id, a.type, a.occurred_at) for a in activities])
        ids = [a.id for a in activities]
        assert len(session.scalars(select(Activity.id).where(Activity.id.in_(ids))).all()) == len(
            ids
        )  # stored already, in this transaction
        contacts = {a.contact_id for a in activities}
        session.execute(update(Contact).where(Contact.id.in_(contacts)).values(title="scored"))

    own = EventBus([(ActivitiesStored, handler)])
    db.info.update(session_info(own))
    app.state.events = own
    return got


def _stored(db, keys):
    rows = db.execute(
        select(
            Activity.idempotency_key,
            Activity.id,
            Activity.contact_id,
            Activity.type,
            Activity.occurred_at,
        ).where(Activity.idempotency_key.in_(keys))
    ).all()
    return {key: tuple(rest) for key, *rest in rows}


def test_event_api_announces_new_activities_not_duplicates(client, db, received):
    user = f.user(db, role=Role.MARKETER)
    _, plain = auth.create_api_token(db_session=db, user=user, name="t")
    db.flush()
    headers = {"Authorization": f"Bearer {plain}"}
    one = {"contact_email": "a@acme.com", "type": "web_visit", "occurred_at": "2024-05-01T10:00Z"}
    two = one | {"idempotency_key": "k-2", "type": "email_click"}
    three = one | {"idempotency_key": "k-3", "contact_email": "b@acme.com"}
    first = client.post("/api/v1/activities", json=[one, two], headers=headers).json()
    assert first["new"] == 2
    second = client.post("/api/v1/activities", json=[one, two, three], headers=headers).json()
    assert (second["new"], second["duplicates"]) == (1, 2)
    keys = [item["idempotency_key"] for item in first["items"]]
    stored = _stored(db, [*keys, "k-3"])
    assert received == [[stored[k] for k in keys], [stored["k-3"]]]
    assert set(db.scalars(select(Contact.title)).all()) == {"scored"}


@pytest.mark.parametrize("rows", [3, 1_000])
def test_csv_import_announces_new_activities_not_duplicates(db, run_import, received, rows):
    header = "contact_email,type,occurred_at,url\n"
    body = "".join(
        f"p{i % 7}@acme.com,web_visit,2024-03-01 10:{i % 60:02d},/{i}\n" for i in range(rows)
    )
    first = run_import("activities", header + body)
    assert first["rows_new"] == rows and sum(len(b) for b in received) == rows
    announced = [a for batch in received for a in batch]
    stored = db.execute(
        select(Activity.id, Activity.contact_id, Activity.type, Activity.occurred_at)
    ).all()
    assert sorted(announced) == sorted(tuple(r) for r in stored)
    received.clear()
    extra = "p1@acme.com,meeting,2024-03-02 09:00,/m\n"
    again = run_import("activities", header + body + extra + extra)
    assert (again["rows_new"], again["rows_unchanged"], again["rows_quarantined"]) == (1, rows, 1)
    (new,) = [a for batch in received for a in batch]
    assert new[2] == "meeting" and new[0] == db.scalar(
        select(Activity.id).where(Activity.type == "meeting")
    )
    assert set(db.scalars(select(Contact.title)).all()) == {"scored"}
