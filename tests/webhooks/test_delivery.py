"""Webhooks end to end: a stage change queues a signed delivery in its own transaction, a real
HTTP server on loopback checks the signature, a failing endpoint gets retried with backoff."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.lifecycle.service import move_stage
from tandem.webhooks import retry, service, signing, worker
from tandem.webhooks.models import Delivery
from tandem.webhooks.schemas import SubscriptionIn
from tests import factories as f

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


class Receiver:
    """A real HTTP server on 127.0.0.1 answering `status`, keeping what it was sent."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def factory(connection):
    return lambda: Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def _subscribe(db, url, events):
    return service.add(
        db_session=db, data=SubscriptionIn(url=url, events=events), by_user_id=None, now=NOW
    )


def test_an_mql_is_posted_signed_and_the_receiver_verifies_it(db, factory):
    contact = f.contact(db, lifecycle_stage="lead")
    with Receiver() as receiver:
        sub = _subscribe(db, receiver.url, ["mql.new", "stage.changed"])
        other = _subscribe(db, receiver.url, ["deal.won"])  # not asked for: nothing queued
        move_stage(db_session=db, contact=contact, to_stage="mql", at=NOW, cause="test")
        db.flush()
        queued = db.scalars(select(Delivery).order_by(Delivery.id)).all()
        assert [(d.subscription_id, d.event) for d in queued] == [
            (sub.id, "stage.changed"),
            (sub.id, "mql.new"),
        ]
        db.flush()
        report = worker.deliver_due(factory)
        assert (report.delivered, report.retrying, report.failed) == (2, 0, 0)
    assert other.id != sub.id
    headers, body = receiver.received[1]
    now = int(dt.datetime.now(dt.UTC).timestamp())
    assert signing.verify(sub.secret, headers["X-Tandem-Signature"], body, now=now)
    assert not signing.verify("wrong" + sub.secret, headers["X-Tandem-Signature"], body, now=now)
    assert not signing.verify(sub.secret, headers["X-Tandem-Signature"], body + b" ", now=now)
    sent = json.loads(body)
    assert sent["event"] == headers["X-Tandem-Event"] == "mql.new"
    assert sent["data"]["contact_id"] == contact.id and sent["data"]["to_stage"] == "mql"
    db.expire_all()
    assert {d.status for d in db.scalars(select(Delivery))} == {"delivered"}


def test_a_failing_endpoint_is_retried_with_backoff_then_given_up(db, factory):
    contact = f.contact(db, lifecycle_stage="lead")
    with Receiver(status=500) as receiver:
        _subscribe(db, receiver.url, ["mql.new"])
        move_stage(db_session=db, contact=contact, to_stage="mql", at=NOW, cause="test")
        db.flush()
        clock = [dt.datetime.now(dt.UTC)]
        waits = []
        for _ in range(retry.MAX_ATTEMPTS):
            report = worker.deliver_due(factory, now=lambda: clock[0])
            assert report.delivered == 0 and report.retrying + report.failed == 1
            db.expire_all()
            row = db.scalars(select(Delivery)).one()
            waits.append((row.next_attempt_at - clock[0]).total_seconds())
            # Not due again before its time: a round now sends nothing.
            assert worker.deliver_due(factory, now=lambda: clock[0]).retrying == 0
            clock[0] = row.next_attempt_at
        assert len(receiver.received) == retry.MAX_ATTEMPTS
    assert row.status == "failed" and row.attempts == retry.MAX_ATTEMPTS
    assert row.last_status == 500 and "HTTP 500" in row.last_error
    assert waits[:4] == [30, 60, 120, 240]


def test_a_refused_connection_is_an_attempt_with_a_reason(db, factory):
    contact = f.contact(db, lifecycle_stage="lead")
    with Receiver() as receiver:
        url = receiver.url
    _subscribe(db, url, ["stage.changed"])  # the server is gone: connection refused
    move_stage(db_session=db, contact=contact, to_stage="mql", at=NOW, cause="test")
    db.flush()
    assert worker.deliver_due(factory).retrying == 1
    db.expire_all()
    row = db.scalars(select(Delivery)).one()
    assert row.status == "pending" and row.last_status is None
    assert row.last_error.startswith("not sent:")


def test_a_rolled_back_change_queues_nothing(db):
    contact = f.contact(db, lifecycle_stage="lead")
    _subscribe(db, "http://127.0.0.1:9/hook", ["stage.changed"])
    db.flush()
    savepoint = db.begin_nested()
    move_stage(db_session=db, contact=contact, to_stage="mql", at=NOW, cause="test")
    db.flush()
    assert db.scalars(select(Delivery)).all() != []
    savepoint.rollback()
    assert db.scalars(select(Delivery)).all() == []


def test_two_workers_never_take_the_same_delivery(db):
    contact = f.contact(db, lifecycle_stage="lead")
    _subscribe(db, "http://127.0.0.1:9/hook", ["stage.changed"])
    move_stage(db_session=db, contact=contact, to_stage="mql", at=NOW, cause="test")
    db.flush()
    now = dt.datetime.now(dt.UTC)
    assert len(worker.claim(db, now=now)) == 1
    assert worker.claim(db, now=now) == []


@pytest.mark.parametrize(
    "url,events,message",
    [
        ("ftp://x.example/h", ["mql.new"], "is not an http"),
        ("https://user:pw@x.example/h", ["mql.new"], "no user name"),
        ("https://x.example/h", ["mql.neu"], "unknown event mql.neu"),
    ],
)
def test_bad_subscriptions_are_refused_with_the_reason(db, url, events, message):
    with pytest.raises(service.WebhookError, match=message):
        _subscribe(db, url, events)


@given(
    secret=st.text(min_size=1, max_size=40),
    body=st.binary(max_size=200),
    t=st.integers(0, 2**33),
)
def test_a_signature_verifies_only_its_own_body_and_time(secret, body, t):
    value = signing.header(secret, t, body)
    assert signing.verify(secret, value, body, now=t)
    assert not signing.verify(secret, value, body + b"x", now=t)
    assert not signing.verify(secret, value, body, now=t + signing.TOLERANCE + 1)


def test_backoff_doubles_and_stops():
    delays = [retry.delay_after(n) for n in range(1, retry.MAX_ATTEMPTS + 1)]
    assert delays[-1] is None and all(
        b == min(2 * a, retry.MAX_DELAY_SECONDS) for a, b in pairwise(delays[:-1])
    )
