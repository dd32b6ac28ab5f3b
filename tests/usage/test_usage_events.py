"""`POST /api/v1/usage/events`: account- and user-level usage in one batch, stored once per
event key, per-item errors naming index, field and reason; only integration tokens post."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.usage.models import UsageEventKey, UsageFact, UserUsageFact
from tests import factories as f

URL = "/api/v1/usage/events"


def _token(db, role):
    user = f.user(db, role=role)
    _, plain = auth.create_api_token(db_session=db, user=user, name=f"t-{role.value}")
    db.flush()
    return {"Authorization": f"Bearer {plain}"}


def _world(db):
    acme = f.account(db, name="Acme", domain="acme.com")
    ann = f.contact(db, email="ann@acme.com", account_id=acme.id)
    return acme, ann


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_a_batch_of_account_and_user_events_is_stored_once_per_key(client, db):
    acme, ann = _world(db)
    token = _token(db, Role.MARKETER)
    batch = [
        {"event_key": "a1", "account_domain": "acme.com", "metric": "api_calls", "value": 120,
         "period_start": "2026-06-01", "period": "week"},
        {"event_key": "u1", "contact_email": "ann@acme.com", "metric": "logins", "value": 4,
         "period_start": "2026-06-01"},
        {"event_key": "u2", "contact_id": ann.id, "metric": "logins", "value": -1,
         "period_start": "2026-06-02"},
        {"event_key": "u3", "contact_email": "ghost@acme.com", "metric": "logins", "value": 1,
         "period_start": "2026-06-02"},
        {"metric": "logins", "value": 1, "period_start": "2026-06-02"},
        {"event_key": "u1", "contact_email": "ann@acme.com", "metric": "logins", "value": 9,
         "period_start": "2026-06-01"},
    ]  # fmt: skip
    first = client.post(URL, json={"events": batch}, headers=token)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["new"], body["rejected"], body["duplicates"]) == (2, 3, 1)
    errors = {i["index"]: [(e["field"], e["reason"]) for e in i["errors"]] for i in body["items"]}
    assert errors[2] == [("value", "must not be negative")]
    assert errors[3] == [("contact_email", "no contact matches (import the contacts first)")]
    assert errors[4][0][0] == "event_key"
    assert body["items"][5]["status"] == "duplicate"
    # The whole batch again, then the first key with another value: nothing applied twice.
    again = client.post(URL, json=batch, headers=token).json()
    assert (again["new"], again["duplicates"], again["rejected"]) == (0, 3, 3)
    changed = dict(batch[1], value=40)
    assert client.post(URL, json=changed, headers=token).json()["duplicates"] == 1
    assert db.scalar(select(UserUsageFact.value)) == 4.0
    assert (_count(db, UsageFact), _count(db, UserUsageFact), _count(db, UsageEventKey)) == (
        1,
        1,
        2,
    )


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(keys=st.lists(st.text("abcdef", min_size=1, max_size=4), min_size=1, max_size=20))
def test_any_batch_sent_twice_stores_each_key_once(client, db, keys):
    acme = f.account(db)
    user = f.contact(db, account_id=acme.id)
    token = _token(db, Role.ADMIN)
    prefix = f"{user.id}:"
    batch = [
        {"event_key": prefix + k, "contact_id": user.id, "metric": "logins", "value": n,
         "period_start": f"2026-01-{1 + n % 28:02d}"}
        for n, k in enumerate(keys)
    ]  # fmt: skip
    for _ in range(2):
        assert client.post(URL, json=batch, headers=token).status_code == 200
    stored = db.scalar(
        select(func.count())
        .select_from(UsageEventKey)
        .where(UsageEventKey.event_key.startswith(prefix))
    )
    assert stored == len(set(keys))


def test_a_reps_or_managers_token_cannot_post_usage(client, db):
    _world(db)
    event = {"event_key": "x", "account_domain": "acme.com", "metric": "api_calls", "value": 1e9,
             "period_start": "2026-06-01"}  # fmt: skip
    for role in (Role.SALES_REP, Role.SALES_MANAGER, Role.EXECUTIVE):
        answer = client.post(URL, json=event, headers=_token(db, role))
        assert answer.status_code == 403, (role, answer.text)
    assert _count(db, UsageFact) == 0 and _count(db, UsageEventKey) == 0
    # A signed-in browser session alone is not enough either: a token is required.
    assert client.post(URL, json=event).status_code == 401


def test_a_batch_above_the_bound_is_refused_whole(client, db):
    token = _token(db, Role.ADMIN)
    events = [{"event_key": str(i)} for i in range(10_001)]
    answer = client.post(URL, json={"events": events}, headers=token)
    assert answer.status_code == 413 and "at most 10,000 events" in answer.text
    assert _count(db, UsageEventKey) == 0
