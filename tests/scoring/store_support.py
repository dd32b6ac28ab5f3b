"""Database-side helpers for the scoring tests: a model to propose, a small world of contacts."""

from __future__ import annotations

import functools
import itertools
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tandem.auth.models import User
from tandem.auth.passwords import hash_password
from tandem.auth.roles import Role
from tandem.events import ActivitiesStored, StoredActivity, publish
from tandem.scoring import approval
from tandem.scoring.models import ScoringModelVersion
from tests import factories as f
from tests.factories import PASSWORD

from .scoring_support import EXAMPLE

_seq = itertools.count(1)
__all__ = ["Role", "person"]

SMALL = """\
name: small
version: {version}
fit_rules:
  - {{id: vp, field: contact.job_level, op: in, values: [vp, c_level], points: {vp}}}
  - {{id: target, field: account.is_target, op: equals, value: true, points: 10}}
behaviour_rules:
  - {{id: demo, activity_type: demo_request, points: 30, decay: {{half_life_days: 30}}, cap: 30}}
  - {{id: pricing, activity_type: page_view, filters: {{url_pattern: /pricing}}, points: 5,
      decay: {{half_life_days: 14}}, daily_cap: 5, cap: 20}}
  - {{id: unsubscribed, activity_type: email_unsubscribe, points: -40, decay: {{window_days: 90}}}}
mql: {{total: 50}}
grades: {{A: 30, B: 20, C: 10}}
"""


@functools.cache
def password_hash() -> str:
    """PASSWORD hashed once: the hash is slow on purpose and most tests need two users."""
    return hash_password(PASSWORD)


def person(db: Session, role: Role, name: str | None = None) -> User:
    """A user of `role` who can sign in with PASSWORD."""
    n = next(_seq)
    row = User(
        email=f"scoring{n}@example.com",
        name=name or f"{role.value} {n}",
        role=role.value,
        password_hash=password_hash(),
    )
    db.add(row)
    db.flush()
    return row


def small_yaml(version: int = 1, vp: int = 20) -> str:
    """A compact valid model; `vp` changes a rule so two versions differ."""
    return SMALL.format(version=version, vp=vp)


def example_yaml(version: int = 1) -> str:
    return EXAMPLE.read_text().replace("version: 1", f"version: {version}", 1)


def activate(db: Session, marketer, sales_manager, text: str, now: datetime) -> ScoringModelVersion:
    """Propose as marketing, approve as sales."""
    version = approval.propose(db_session=db, user=marketer, yaml_text=text, now=now)
    done, _ = approval.approve(db_session=db, user=sales_manager, version_id=version.id, now=now)
    return done


def stored(db: Session, contact, kind: str, at: datetime, **kw) -> StoredActivity:
    """Insert an activity and announce it, as a writer does."""
    row = f.activity(db, contact, kind, at, **kw)
    event = StoredActivity(row.id, contact.id, row.type, row.occurred_at)
    publish(db, ActivitiesStored([event]))
    return event


def world(db: Session, now: datetime) -> list:
    """Four contacts with different fits and histories (two accounts)."""
    target = f.account(db, is_target=True, industry="software", employees=800)
    other = f.account(db, is_target=False, employees=12)
    people = [
        f.contact(db, account_id=target.id, job_level="vp", lifecycle_stage="lead"),
        f.contact(db, account_id=target.id, job_level="manager", lifecycle_stage="subscriber"),
        f.contact(db, account_id=other.id, job_level="c_level", lifecycle_stage="nurture"),
        f.contact(db, account_id=None, job_level=None, lifecycle_stage="sal"),
    ]
    day = timedelta(days=1)
    for i, person in enumerate(people):
        f.activity(db, person, "page_view", now - (3 + i) * day, url="https://t.example/pricing")
        f.activity(db, person, "page_view", now - (3 + i) * day, url="https://t.example/pricing?x")
        f.activity(db, person, "page_view", now - 40 * day, url="https://t.example/blog")
    f.activity(db, people[1], "demo_request", now - 10 * day)
    f.activity(db, people[3], "email_unsubscribe", now - 20 * day)
    return people
