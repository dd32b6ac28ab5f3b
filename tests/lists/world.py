"""A small world for the list tests: two reps, a manager, contacts, accounts and deals."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from tandem.auth.roles import Role
from tandem.db import utcnow
from tandem.scoring.models import ContactScore
from tests import factories as f


def build(db, n: int = 12) -> SimpleNamespace:
    ann = f.user(db, Role.SALES_REP, name="Ann Rep")
    bob = f.user(db, Role.SALES_REP, name="Bob Rep")
    boss = f.user(db, Role.SALES_MANAGER, name="Mia Manager")
    now = utcnow()
    accounts = [
        f.account(
            db,
            name=f"Acct {i}",
            region=("emea", "amer")[i % 2],
            tier=str(i % 3 + 1),
            employees=(20, 400, 5000)[i % 3],
            owner_id=(ann.id, bob.id, None)[i % 3],
        )
        for i in range(4)
    ]
    stages = ("lead", "mql", "sal", "sql")
    contacts = []
    for i in range(n):
        c = f.contact(
            db,
            first_name=f"P{i:02d}",
            last_name=("Zed", "alpha", "Mu", None)[i % 4],
            title=("CEO", "CTO", None)[i % 3],
            account_id=accounts[i % 4].id if i % 5 else None,
            lifecycle_stage=stages[i % 4],
            owner_id=(ann.id, bob.id, None)[i % 3],
            created_at=now - timedelta(days=i),
        )
        contacts.append(c)
        if i % 3:
            f.activity(db, c, "meeting", at=now - timedelta(days=i * 2))
        if i % 2:
            db.add(
                ContactScore(
                    contact_id=c.id,
                    model_version_id=_version(db),
                    model_version="t",
                    fit=Decimal(i),
                    engagement=Decimal(0),
                    total=Decimal(i * 7 % 50),
                    grade="ABCD"[i % 4],
                    is_mql=False,
                    parts=[],
                    scored_at=now,
                )
            )
    deals = [
        f.opportunity(
            db,
            accounts[i % 4],
            name=f"Deal {i}",
            amount=Decimal(1000 * (i + 1)),
            owner_id=(ann.id, bob.id)[i % 2],
            stage=("discovery", "proposal")[i % 2],
        )
        for i in range(5)
    ]
    db.flush()
    return SimpleNamespace(
        ann=ann, bob=bob, boss=boss, accounts=accounts, contacts=contacts, deals=deals
    )


def _version(db):
    from tandem.scoring.models import ScoringModelVersion

    row = db.query(ScoringModelVersion).first()
    if row is None:
        row = ScoringModelVersion(
            name="t", version=1, yaml_text="", sha256="0" * 64, proposed_team="marketing"
        )
        db.add(row)
        db.flush()
    return row.id
