"""The audit log is append-only in the database itself: triggers refuse UPDATE and DELETE.

No Tandem code updates or deletes `audit_events`; the triggers prove it for everything else
(a stray query, a bulk tool, an ON DELETE SET NULL from a deleted user). Only someone allowed
to run DDL can drop them: `unlocked` does so inside one transaction, for test clean-up and
retention jobs run by an operator, and puts them back before the transaction ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

MESSAGE = "audit_events is append-only"

_CREATE = {
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION tandem_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql""",
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION tandem_audit_append_only()",
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION tandem_audit_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END",
    ],
}

_DROP = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
        "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_events_no_update",
        "DROP TRIGGER IF EXISTS audit_events_no_delete",
    ],
}


def create(connection: Connection) -> None:
    """Install the triggers (the migration calls this)."""
    for statement in _CREATE[connection.dialect.name]:
        connection.execute(text(statement))


def drop(connection: Connection) -> None:
    """Remove the triggers (the migration's downgrade)."""
    for statement in _DROP[connection.dialect.name]:
        connection.execute(text(statement))
    if connection.dialect.name == "postgresql":
        connection.execute(text("DROP FUNCTION IF EXISTS tandem_audit_append_only()"))


@contextmanager
def unlocked(connection: Connection) -> Iterator[Connection]:
    """Drop the triggers for the body of the block, in the caller's transaction (DDL rights
    needed); they are back when the block ends, whatever happens in it."""
    for statement in _DROP[connection.dialect.name]:
        connection.execute(text(statement))
    try:
        yield connection
    finally:
        for statement in _CREATE[connection.dialect.name][-2:]:
            connection.execute(text(statement))
