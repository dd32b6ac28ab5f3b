"""Email through a real SMTP server (aiosmtpd on loopback): the packet, digests, failures."""

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tandem.contacts.models import Contact
from tandem.handoff.mail import SmtpMailer
from tandem.handoff.models import Notification, RepSetting
from tandem.settings import Settings

from .conftest import mql, tick


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """Messages sent to `address`, in order."""
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def mailer(port: int) -> SmtpMailer:
    return SmtpMailer(
        Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_from="tandem@example.com")
    )


def test_new_lead_email_carries_the_handoff_packet(db, people, config, lead, smtp):
    inbox, port = smtp
    report = tick(db, config, 0.1, mailer=mailer(port), base_url="http://tandem.example")
    assert report.emails == 1
    (message,) = inbox.messages
    assert message["To"] == "ann@example.com" and message["From"] == "tandem@example.com"
    assert message["Subject"] == "New MQL in your queue: Ada Lovelace (Helix Labs)"
    body = message.get_content().replace("\r\n", "\n")
    for fact in (
        "Ada Lovelace at Helix Labs",
        "accept: due, due 2026-03-02 11:00 UTC",
        "Next step: Talk to the deal owner first",
        "Why it scored:\n  score not available",
        "source linkedin / -, campaign Spring Webinar, landing page /webinars/spring",
        "Guide to Attribution (decision), 1x",
        "Webinar attended [Spring Webinar]",
        "Decision maker: Cee",
        "Helix expansion (discovery, 10,000 USD)",
        f"Accept or reject: http://tandem.example/handoff/leads/{lead.id}",
    ):
        assert fact in body, fact
    assert tick(db, config, 0.2, mailer=mailer(port)).emails == 0  # sent once
    assert len(inbox.messages) == 1


def test_digest_users_get_one_email_per_period(db, people, config, smtp):
    inbox, port = smtp
    db.add(RepSetting(user_id=people.ann.id, email_mode="digest"))
    db.add(RepSetting(user_id=people.bob.id, email_mode="off"))
    mql(db, first_name="One"), mql(db, first_name="Two"), mql(db, first_name="Three")
    report = tick(db, config, 0, mailer=mailer(port))
    assert (report.emails, report.digests) == (0, 1)
    (digest,) = inbox.messages
    assert digest["Subject"] == "Tandem digest: 2 handoff notification(s)"
    assert digest.get_content().count("* New MQL in your queue:") == 2
    tick(db, config, 1.6, mailer=mailer(port))  # at-risk reminders: inside the 24h period
    assert len(inbox.to("ann@example.com")) == 1
    tick(db, config, 24.1, mailer=mailer(port))
    second = inbox.to("ann@example.com")[1].get_content()
    assert len(inbox.to("ann@example.com")) == 2 and "Accept due by" in second
    assert inbox.to("boss@example.com")  # the manager is on instant email: breach alerts
    bob_unsent = db.scalars(
        select(Notification.emailed_at).where(Notification.user_id == people.bob.id)
    ).all()
    assert bob_unsent and set(bob_unsent) == {None}  # email off: inbox only


def test_a_down_server_records_the_error_and_the_next_tick_retries(db, people, config, lead):
    port = free_port()  # nothing listens here
    report = tick(db, config, 0.1, mailer=mailer(port))
    assert report.emails == 0
    note = db.scalars(select(Notification).where(Notification.user_id == people.ann.id)).one()
    assert note.emailed_at is None and "ConnectionRefusedError" in note.email_error
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert tick(db, config, 0.2, mailer=mailer(port)).emails == 1
    finally:
        controller.stop()
    db.refresh(note)
    assert note.emailed_at is not None and note.email_error is None


def test_the_packet_in_an_email_names_only_contacts_its_recipient_may_open(
    db, people, config, lead, smtp
):
    """Ann's lead sits at an account where Bob owns the decision maker: her email's buying
    committee leaves him out, as her packet page does."""
    inbox, port = smtp
    cee = db.scalar(select(Contact).where(Contact.first_name == "Cee"))
    cee.owner_id = people.bob.id
    db.flush()
    assert tick(db, config, 0.1, mailer=mailer(port)).emails == 1
    body = inbox.to("ann@example.com")[0].get_content()
    assert "Ada Lovelace at Helix Labs" in body and "Cee" not in body
