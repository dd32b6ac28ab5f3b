"""Shared fixtures: a small, hand-checked world and signed-in clients."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tandem.auth.roles import Role
from tandem.settings import Settings
from tests import factories as f
from tests.web.test_pages import login

#: The clock every scorecard test runs at (a Wednesday in ISO week 2026-W48).
AS_OF = datetime(2026, 11, 25, 12, tzinfo=UTC)
WEEK = datetime(2026, 11, 16, tzinfo=UTC)  # Monday of 2026-W47, the last complete week


@pytest.fixture
def settings(engine) -> Settings:
    """Facts re-read on every request, in the request's transaction (no background thread)."""
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        environment="test",
        analytics_refresh_seconds=0,
    )


@pytest.fixture
def cro(db):
    return f.user(db, role=Role.EXECUTIVE, name="Pat CRO")


@pytest.fixture
def as_cro(client, cro):
    assert login(client, cro.email).status_code == 303
    return client


def seed_world(db):
    """Two accounts, five contacts with known stage histories, four deals.

    ACME (enterprise, emea, software) and Bolt (smb, apac, retail). Stage moves happen in
    2026-W47 unless said otherwise, so the weekly review has data.
    """
    paid = f.campaign(db, name="Paid Q4", channel="paid_search")
    acme = f.account(db, name="ACME", employees=5000, region="emea", industry="software")
    bolt = f.account(db, name="Bolt", employees=20, region="apac", industry="retail")
    people = []
    plan = [
        (acme, paid.id, ["lead", "mql", "sal", "sql", "opportunity", "customer"]),
        (acme, paid.id, ["lead", "mql", "sal", "sql"]),
        (acme, None, ["lead", "mql", "nurture"]),
        (bolt, None, ["lead", "mql", "sal"]),
        (bolt, None, ["lead"]),
    ]
    for i, (acct, campaign_id, stages) in enumerate(plan):
        person = f.contact(
            db,
            account_id=acct.id,
            first_touch_campaign_id=campaign_id,
            first_touch_medium=None if campaign_id else "organic",
            lifecycle_stage=stages[-1],
            created_at=WEEK + timedelta(hours=i),
        )
        previous = None
        for k, stage in enumerate(stages):
            f.transition(db, person, previous, stage, WEEK + timedelta(hours=i, days=k))
            previous = stage
        people.append(person)
    won_at = WEEK + timedelta(days=5)
    deals = [
        f.opportunity(
            db,
            acme,
            amount=Decimal("50000"),
            stage="closed_won",
            is_closed=True,
            is_won=True,
            closed_at=won_at,
            created_at=WEEK - timedelta(days=40),
            primary_contact_id=people[0].id,
            deal_type="new",
        ),
        f.opportunity(
            db,
            acme,
            amount=Decimal("20000"),
            stage="closed_lost",
            is_closed=True,
            is_won=False,
            closed_at=won_at,
            created_at=WEEK - timedelta(days=20),
            deal_type="upsell",
        ),
        f.opportunity(
            db,
            bolt,
            amount=Decimal("5000"),
            stage="closed_won",
            is_closed=True,
            is_won=True,
            closed_at=WEEK - timedelta(days=10),
            created_at=WEEK - timedelta(days=30),
            deal_type="new",
        ),
        f.opportunity(
            db,
            bolt,
            amount=Decimal("8000"),
            stage="proposal",
            created_at=WEEK + timedelta(days=1),
            expected_close_on=(AS_OF + timedelta(days=20)).date(),
            deal_type="new",
        ),
    ]
    return {"people": people, "deals": deals, "acme": acme, "bolt": bolt, "campaign": paid}
