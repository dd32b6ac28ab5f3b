"""The event API: batches, idempotency, per-item rejections, limits, auth."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tandem.activities.models import Activity
from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.ingest import events
from tests import factories as f


@pytest.fixture
def token(db):
    user = f.user(db, role=Role.MARKETER)
    _, plain = auth.create_api_token(db_session=db, user=user, name="test")
    db.flush()
    return {"Authorization": f"Bearer {plain}"}


def _event(n, **kw):
    return {
        "contact_email": f"p{n}@acme.com",
        "type": "web_visit",
        "occurred_at": f"2024-05-01T10:{n % 60:02d}:00Z",
        "url": f"https://acme.com/{n}",
    } | kw


def test_batch_is_stored_once_and_the_answer_says_what_happened(client, token, db):
    batch = [_event(1), _event(2, idempotency_key="client-key-2"), {"type": "nap"}]
    first = client.post("/api/v1/activities", json={"activities": batch}, headers=token)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["new"], body["duplicates"], body["rejected"]) == (2, 0, 1)
    assert body["items"][1]["idempotency_key"] == "client-key-2"
    rejected = body["items"][2]
    fields = {e["field"] for e in rejected["errors"]}
    assert (
        rejected["index"] == 2
        and {"type", "contact_email or contact_external_id", "occurred_at"} <= fields
    )
    again = client.post("/api/v1/activities", json=batch[:2], headers=token).json()
    assert (again["new"], again["duplicates"]) == (0, 2)
    assert db.scalar(select(func.count()).select_from(Activity)) == 2
    assert db.scalar(select(func.count()).select_from(Contact)) == 2


def test_single_event_and_contacts_and_accounts(client, token, db):
    assert client.post("/api/v1/activities", json=_event(5), headers=token).json()["new"] == 1
    out = client.post(
        "/api/v1/accounts", json=[{"name": "Acme", "domain": "www.acme.com"}], headers=token
    ).json()
    assert out["new"] == 1
    out = client.post(
        "/api/v1/contacts",
        json=[{"email": "P5@acme.com", "first_name": "Pat", "custom_fields": {"tier": "gold"}}],
        headers=token,
    ).json()
    assert (out["updated"], out["new"]) == (1, 0)
    pat = db.scalar(select(Contact).where(Contact.email == "p5@acme.com"))
    assert pat.first_name == "Pat" and pat.custom_fields == {"tier": "gold"}


def test_limits_and_auth(client, token, monkeypatch):
    assert client.post("/api/v1/activities", json=_event(1)).status_code == 401
    monkeypatch.setattr(events, "MAX_BATCH", 3)
    big = client.post("/api/v1/activities", json=[_event(i) for i in range(4)], headers=token)
    assert big.status_code == 413 and "at most 3" in big.json()["detail"]
    monkeypatch.setattr(client.app.state.settings, "ingest_max_body_bytes", 100)
    huge = client.post("/api/v1/activities", json=[_event(i) for i in range(2)], headers=token)
    assert huge.status_code == 413 and "100 bytes" in huge.json()["detail"]
    monkeypatch.setattr(client.app.state.settings, "ingest_max_body_bytes", 10_000)
    bad = client.post("/api/v1/activities", content=b"{not json", headers=token)
    assert bad.status_code == 422 and "not valid JSON" in bad.json()["detail"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "contact_email": st.sampled_from(["a@x.io", "b@x.io", "c@y.org"]),
                "type": st.sampled_from(["web_visit", "email_click", "meeting"]),
                "occurred_at": st.datetimes(
                    min_value=__import__("datetime").datetime(2020, 1, 1),
                    max_value=__import__("datetime").datetime(2030, 1, 1),
                ).map(lambda d: d.isoformat() + "Z"),
            },
            optional={"url": st.sampled_from(["https://x.io/a", "https://x.io/b"])},
        ),
        min_size=1,
        max_size=20,
    )
)
def test_property_an_event_sent_twice_is_stored_once(db, rows):
    from tandem.db import utcnow

    savepoint = db.connection().begin_nested()
    try:
        first = events.ingest(db_session=db, kind="activities", items=rows, now=utcnow(), actor="t")
        distinct = first.new
        second = events.ingest(
            db_session=db, kind="activities", items=rows, now=utcnow(), actor="t"
        )
        assert second.new == 0 and second.duplicates == len(rows)
        assert db.scalar(select(func.count()).select_from(Activity)) == distinct
        assert distinct == len(
            {(r["contact_email"], r["type"], r["occurred_at"], r.get("url")) for r in rows}
        )
    finally:
        savepoint.rollback()


def test_small_and_big_batches_store_the_same(db, monkeypatch):
    """Below `FRAME_MIN_ITEMS` items a batch is written item by item (one INSERT each for a
    few); above, by the frame path: same answers, same rows, same repeated-key handling."""
    from tandem.db import utcnow

    batch = [_event(n % 7, url=f"https://acme.com/{n % 9}") for n in range(30)]
    # Every column kind the frame path writes (PostgreSQL: cast from one JSON parameter).
    batch += [
        _event(n, campaign="Spring", channel="email", **{"properties.form": f"f{n}"})
        for n in (40, 41)
    ]
    batch += batch[:5] + [_event(3, idempotency_key="k-1"), _event(4, idempotency_key="k-1")]
    batch.append({"type": "x"})
    outcomes = []
    for frame_min in (1, 10_000):
        monkeypatch.setattr(events, "FRAME_MIN_ITEMS", frame_min)
        savepoint = db.connection().begin_nested()
        try:
            got = events.ingest(
                db_session=db, kind="activities", items=batch, now=utcnow(), actor="t"
            )
            rows = db.execute(
                select(
                    Activity.idempotency_key,
                    Activity.type,
                    Activity.occurred_at,
                    Activity.url,
                    Activity.channel,
                    Activity.properties,
                    Activity.campaign_id.is_not(None),
                ).order_by(Activity.idempotency_key)  # fmt: skip
            ).all()
            statuses = [(i.index, i.status, i.idempotency_key) for i in got.items]
            outcomes.append((got.new, got.duplicates, got.rejected, statuses, rows))
        finally:
            savepoint.rollback()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:3] == (33, 6, 1)
    assert ("email", {"form": "f40"}, True) in [row[4:] for row in outcomes[0][4]]


def test_a_busy_sqlite_answers_503_and_stores_nothing(client, token, db, monkeypatch):
    """SQLite's write lock not to be had: 503 with Retry-After, and a retry is safe."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    real = events.ingest

    def busy(**kw):
        real(**kw)  # wrote, then the lock was lost: the request's transaction rolls back
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    def raw_busy(**kw):
        real(**kw)
        raise sqlite3.OperationalError("database is locked")  # from a raw DB-API cursor

    for failing in (busy, raw_busy):
        monkeypatch.setattr(events, "ingest", failing)
        answer = client.post("/api/v1/activities", json=_event(1), headers=token)
        assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
    monkeypatch.setattr(events, "ingest", real)
    assert client.post("/api/v1/activities", json=_event(1), headers=token).json()["new"] == 1


def test_the_answer_is_the_documented_model_byte_for_byte(client, token):
    """`Ingested.json` writes the answer itself: the same bytes as `IngestResult` through
    FastAPI's JSON (UTF-8, no whitespace), rejections and odd characters included."""
    batch = [_event(1, idempotency_key='k "1" \\ é\u2028'), _event(1), {"type": "nap"}, 7]
    batch.append(_event(2, properties={"campaign": "ünï"}))
    for body in (batch, {"activities": batch * 2}):
        answer = client.post("/api/v1/activities", json=body, headers=token)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        documented = events.IngestResult.model_validate_json(answer.content)
        dumped = json.dumps(
            documented.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")
        )
        assert answer.content == dumped.encode()
    out = client.post(
        "/api/v1/accounts", json=[{"name": "Acme"}, {"name": "Acme"}], headers=token
    ).json()
    assert out["items"][0]["id"] is not None and out["items"][0]["status"] == "new"


def test_concurrent_batches_on_a_database_others_see(api_database, monkeypatch):
    """On a committed database (not the test's rolled-back transaction) a SQLite request takes
    the write lock before its first read (`BEGIN IMMEDIATE`: concurrent writers wait instead
    of answering 503) and the frame path inserts with one executemany: overlapping batches in
    flight together store each key once and answer it new exactly once."""
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from tandem.ingest import bulkwrite
    from tandem.settings import Settings
    from tandem.web.app import create_app

    url, eng, headers = api_database("api_concurrent")
    exclusive = []
    real = bulkwrite.write_activities

    def spy(*args, **kw):
        exclusive.append(kw["exclusive"])
        return real(*args, **kw)

    monkeypatch.setattr(bulkwrite, "write_activities", spy)
    size = events.FRAME_MIN_ITEMS + 50
    batches = [[_event(n) for n in range(k * size // 2, k * size // 2 + size)] for k in range(4)]
    batches[1] += batches[1][:3] + [{"type": "nap"}]  # repeated in the batch, and rejected
    with TestClient(create_app(Settings(database_url=url, environment="test"))) as client:
        assert client.post("/api/v1/activities", json=_event(0), headers=headers).json()["new"]
        with ThreadPoolExecutor(4) as pool:
            answers = list(
                pool.map(
                    lambda b: client.post("/api/v1/activities", json=b, headers=headers), batches
                )
            )
    assert [a.status_code for a in answers] == [200] * 4, [a.text[:200] for a in answers]
    items = [item for a in answers for item in a.json()["items"]]
    new = [item["idempotency_key"] for item in items if item["status"] == "new"]
    distinct = {item["idempotency_key"] for item in items if item["status"] != "rejected"}
    assert len(new) == len(set(new)) == len(distinct) - 1  # _event(0) was stored before
    assert sum(a.json()["rejected"] for a in answers) == 1
    assert answers[1].json()["duplicates"] >= 3
    with eng.connect() as connection:
        stored = connection.exec_driver_sql("SELECT count(*) FROM activities").scalar()
    assert stored == len(distinct)
    assert exclusive == [eng.dialect.name == "sqlite"] * 4  # the lock was held: one executemany
