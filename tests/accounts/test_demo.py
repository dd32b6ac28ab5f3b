"""`tandem demo setup`'s accounts step: the four account definitions put in force the real way
(proposed by one team, approved by the other), then every account scored, the list applied and
today's stages snapshotted; run again, it keeps what is there."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tandem.accounts import demo
from tandem.accounts.models import AccountScore, AccountStageSnapshot
from tandem.auth.roles import Role
from tandem.definitions.models import DefinitionVersion
from tests import factories as f

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_the_demo_puts_the_account_definitions_in_force_and_scores_every_account(db):
    marketer = f.user(db, Role.MARKETER, email="marketer@tandem.demo")
    manager = f.user(db, Role.SALES_MANAGER, email="manager@tandem.demo")
    big = f.account(db, employees=5000, industry="software")
    f.account(db)
    person = f.contact(db, account_id=big.id, title="CFO")
    f.activity(db, person, "meeting", at=NOW - timedelta(days=1))
    found = demo.setup(db, now=NOW)
    assert found["versions"] == [
        "buying_committee v1",
        "account_score v1",
        "account_stages v1",
        "target_accounts v1",
    ]
    rows = db.scalars(
        select(DefinitionVersion).where(DefinitionVersion.active_key.is_not(None))
    ).all()
    by_kind = {r.kind: (r.proposed_by_id, r.decided_by_id) for r in rows}
    assert by_kind["account_score"] == (marketer.id, manager.id)
    assert by_kind["buying_committee"] == (manager.id, marketer.id)
    assert found["roles"]["guessed"] == 1  # the CFO: likely economic buyer
    assert (
        db.scalar(select(func.count()).select_from(AccountScore))
        == 2
        == found["scores"]["accounts"]
    )
    assert found["targets"]["by_tier"] == {1: 1, 2: 0, 3: 0}
    assert db.scalar(select(func.count()).select_from(AccountStageSnapshot)) == 2
    assert demo.setup(db, now=NOW)["versions"] == []  # kept
