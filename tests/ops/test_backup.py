"""Backup and restore round trips on SQLite and PostgreSQL: same counts, same checksums."""

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tandem.db import make_engine
from tandem.migrate import upgrade
from tandem.ops.backup import BackupError, backup, restore, table_checksums
from tests import factories as f


@pytest.fixture
def fresh(fresh_database):
    """A separate, committed database of the same backend (backups see only committed data)."""
    target = make_engine(fresh_database("backup_live"))
    upgrade(target)
    yield target
    target.dispose()


def test_round_trip_restores_every_row(fresh, tmp_path):
    with Session(fresh) as db:
        acct = f.account(db, name="Orbit Labs", custom_fields={"tier_note": "ünïcode ✓"})
        person = f.contact(db, account_id=acct.id, first_name="Zoë")
        for day in range(1, 4):
            f.activity(db, person, "web_visit", f.T0.replace(day=day))
        f.opportunity(db, acct, contacts=[(person, "champion")])
        db.commit()
    before = table_checksums(fresh)
    file = backup(fresh, tmp_path / "tandem.backup")
    with fresh.begin() as conn:
        conn.execute(text("DELETE FROM activities"))
        conn.execute(text("UPDATE accounts SET name = 'changed'"))
    assert table_checksums(fresh) != before
    restore(fresh, file)
    after = table_checksums(fresh)
    assert after == before
    assert after["activities"][0] == 3


def test_restore_refuses_a_missing_or_corrupt_file(fresh, tmp_path):
    with pytest.raises(BackupError, match="no backup file"):
        restore(fresh, tmp_path / "missing.backup")
    if fresh.dialect.name == "sqlite":
        bad = tmp_path / "bad.backup"
        bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
        with pytest.raises(BackupError, match="not an intact SQLite database"):
            restore(fresh, bad)
