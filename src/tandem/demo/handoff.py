"""The demo's handoff: its routing rules and SLA policies put in force the real way (proposed
by the sales manager, approved by the admin, both audited), then one tick routes the MQLs the
generated world already holds, so every rep's queue has leads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from tandem.auth import service as auth
from tandem.definitions import service as definitions
from tandem.definitions.kinds import kind_named

HERE = Path(__file__).parent
FILES = (("routing", HERE / "routing.yaml"), ("sla", HERE / "sla.yaml"))
PROPOSER, APPROVER = "manager@tandem.demo", "admin@tandem.demo"


@dataclass(frozen=True)
class HandoffSetup:
    """What `setup_handoff` did: the versions it put in force (empty when some existed)."""

    versions: tuple[str, ...]


def setup_handoff(db_session: Session, *, now: dt.datetime) -> HandoffSetup:
    """Propose and approve the demo's routing and SLA definitions, unless some are active."""
    kinds = [(kind_named(name), path) for name, path in FILES]
    if any(definitions.active(db_session=db_session, kind=kind) for kind, _ in kinds):
        return HandoffSetup(())
    proposer = auth.get_by_email(db_session=db_session, email=PROPOSER)
    approver = auth.get_by_email(db_session=db_session, email=APPROVER)
    done = []
    for kind, path in kinds:  # routing first: the SLA policies name its teams
        row = definitions.propose(
            db_session=db_session,
            kind=kind,
            text=path.read_text(encoding="utf-8"),
            user=proposer,
            at=now,
            source="demo",
            note="the demo's territories and SLA",
        )
        definitions.approve(
            db_session=db_session, version_id=row.id, user=approver, at=now, kind=kind
        )
        done.append(f"{kind.name} v{row.version}")
    return HandoffSetup(tuple(done))
