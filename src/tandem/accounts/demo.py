"""The demo's accounts: the shipped account definitions put in force the real way (each
proposed by one team and approved by the other), roles synced from imports and titles, every
account scored, the target list applied and today's stage snapshot written. Idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from tandem.accounts import committees, journey, lists, scores
from tandem.accounts.definitions import (
    ACCOUNT_SCORE,
    ACCOUNT_STAGES,
    BUYING_COMMITTEE,
    TARGET_ACCOUNTS,
    default_text,
)
from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.definitions import service as definitions

USERS = {Role.MARKETER: "marketer@tandem.demo", Role.SALES_MANAGER: "manager@tandem.demo"}


def put_in_force(db_session: Session, *, now: dt.datetime) -> list[str]:
    """Propose and approve each account kind's default unless one is active."""
    done = []
    # The committee first: the account score's coverage roles are checked against it.
    for kind in (BUYING_COMMITTEE, ACCOUNT_SCORE, ACCOUNT_STAGES, TARGET_ACCOUNTS):
        if definitions.active(db_session=db_session, kind=kind) is not None:
            continue
        proposer = auth.get_by_email(db_session=db_session, email=USERS[kind.roles[0]])
        approver = auth.get_by_email(db_session=db_session, email=USERS[kind.roles[1]])
        row = definitions.propose(
            db_session=db_session,
            kind=kind,
            text=default_text(kind.name),
            user=proposer,
            at=now,
            source="demo",
            note="the demo's default",
        )
        definitions.approve(
            db_session=db_session, version_id=row.id, user=approver, at=now, kind=kind
        )
        done.append(f"{kind.name} v{row.version}")
    return done


def setup(db_session: Session, *, now: dt.datetime) -> dict[str, Any]:
    versions = put_in_force(db_session, now=now)
    roles = committees.sync(db_session)
    scored = scores.rescore_all(db_session, as_of=now)
    targets = lists.apply(db_session, on=now.date())
    snapshot = journey.snapshot(db_session, day=now.date())
    return {
        "versions": versions,
        "roles": roles,
        "scores": scored,
        "targets": {k: v for k, v in targets.items() if k != "warnings"},
        "stages": snapshot["stages"],
    }


def run() -> None:
    """`tandem demo setup`'s accounts step."""
    from tandem.cli.context import console, db_session
    from tandem.db import utcnow

    with db_session() as db:
        found = setup(db, now=utcnow())
    console.print(
        f"accounts: {', '.join(found['versions']) or 'definitions kept'}; "
        f"{found['scores']['accounts']:,} accounts scored ({found['scores']['mqa']:,} MQAs), "
        f"{found['targets']['members']:,} target accounts; stages {found['stages']}",
        highlight=False,
    )
