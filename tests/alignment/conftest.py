"""Fixtures: a real SMTP server on loopback, both teams and a few customers."""

from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from tandem.auth.roles import Role
from tandem.settings import Settings
from tests import factories as f
from tests.handoff.test_mail import Inbox, free_port


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield (
            inbox,
            Settings(
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_from="tandem@example.com",
                public_url="http://testserver",
            ),
        )
    finally:
        controller.stop()


@pytest.fixture
def people(db):
    marketers = [f.user(db, role=Role.MARKETER) for _ in range(5)]
    sales = [f.user(db, role=Role.SALES_REP) for _ in range(4)]
    sales.append(f.user(db, role=Role.SALES_MANAGER))
    f.user(db, role=Role.EXECUTIVE)  # executives and admins are not surveyed
    acme = f.account(db, name="ACME")
    customers = [f.contact(db, account_id=acme.id, lifecycle_stage="customer") for _ in range(2)]
    f.contact(db, account_id=acme.id, lifecycle_stage="lead")  # not a customer: not asked
    return SimpleNamespace(marketers=marketers, sales=sales, customers=customers, acme=acme)
