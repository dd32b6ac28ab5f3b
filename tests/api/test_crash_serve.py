"""`tandem serve` killed with SIGKILL in the middle of a stream of events, restarted, and the
client sends everything again with the same idempotency keys: every event stored exactly once,
every event acknowledged before the kill already stored, every score exact (no activity
counted twice). On SQLite and on PostgreSQL."""

import threading

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.testing.serve import Server
from tests.ingest.test_resume import _activate_counting_model

EVENTS = 600
BATCH = 20
PEOPLE = 40


@pytest.fixture
def target(migrated_database):
    """A fresh migrated database a server process can see, with an admin's API token."""
    url, eng = migrated_database("serve_crash")
    _activate_counting_model(eng)
    with Session(eng) as session:
        admin = User(email="admin@example.com", name="A", role="admin", password_hash="-")
        session.add(admin)
        session.flush()
        token = auth.create_api_token(db_session=session, user=admin, name="crash")[1]
        session.commit()
    return url, eng, token


def _event(i: int) -> dict[str, str]:
    return {
        "idempotency_key": f"evt-{i}",
        "contact_email": f"p{i % PEOPLE}@acme.com",
        "type": "web_visit" if i % 3 else "email_open",
        "occurred_at": f"2026-03-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
        "url": f"https://acme.com/{i}",
    }


def _send(base: str, token: str, start: int, acked: list[int], stop: threading.Event) -> None:
    """Post batches in order from `start`; record each acknowledged event; stop on failure."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for first in range(start, EVENTS, BATCH):
            if stop.is_set():
                return
            batch = [_event(i) for i in range(first, min(first + BATCH, EVENTS))]
            try:
                response = client.post("/api/v1/activities", json=batch)
            except httpx.TransportError:
                return  # the server died under us
            assert response.status_code == 200, response.text
            statuses = {item["status"] for item in response.json()["items"]}
            assert statuses <= {"new", "duplicate", "unchanged"}, response.text
            acked.extend(range(first, first + len(batch)))


def _count(eng) -> int:
    with eng.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM activities"))


def test_sigkill_mid_stream_then_resend_stores_each_event_once(target, tmp_path):
    url, eng, token = target
    server = Server(url, tmp_path).start()
    acked: list[int] = []
    stop = threading.Event()
    sender = threading.Thread(target=_send, args=(server.base, token, 0, acked, stop))
    sender.start()
    try:
        while _count(eng) < EVENTS // 3 and sender.is_alive():
            threading.Event().wait(0.01)
        server.kill()  # mid-stream: the sender is posting its next batch
    finally:
        stop.set()
        sender.join(timeout=60)
        server.kill()
    assert acked and len(acked) < EVENTS, "the stream finished before the kill"
    with eng.connect() as conn:
        keys = set(conn.scalars(text("SELECT idempotency_key FROM activities")))
    assert {f"evt-{i}" for i in acked} <= keys  # acknowledged means stored
    assert len(keys) == _count(eng)  # a batch is stored whole or not at all: no half batches
    assert len(keys) % BATCH == 0

    server = Server(url, tmp_path).start()
    try:
        again: list[int] = []
        _send(server.base, token, 0, again, threading.Event())  # everything, same keys
    finally:
        server.stop()
    assert again == list(range(EVENTS))
    visits = [0] * PEOPLE
    for i in range(EVENTS):
        visits[i % PEOPLE] += bool(i % 3)
    with eng.connect() as conn:
        assert _count(eng) == EVENTS
        assert conn.scalar(text("SELECT count(DISTINCT idempotency_key) FROM activities")) == EVENTS
        scores = dict(
            conn.execute(
                text(
                    "SELECT c.email, s.total FROM contact_scores s"
                    " JOIN contacts c ON c.id = s.contact_id"
                )
            ).all()
        )
    assert scores == {f"p{i}@acme.com": n for i, n in enumerate(visits)}
