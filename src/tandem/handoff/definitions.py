"""Routing rules and SLA policies as versioned definitions (`tandem.definitions`).

A sales manager proposes and a RevOps admin approves, or the other way round. Each kind is
checked with the same `file:line` issues as the files, against the other kind's active
version (an SLA policy naming a routing team that does not exist is an error) and against the
users table (a rep who is not an active user is an error).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tandem.auth.roles import Role
from tandem.definitions.base import Issue
from tandem.definitions.kinds import DefinitionKind
from tandem.definitions.models import DefinitionVersion
from tandem.handoff.loader import check_handoff_texts

_ACTIVE = select(DefinitionVersion.text).where(DefinitionVersion.active_key == bindparam("key"))
_BOTH = select(DefinitionVersion.kind, DefinitionVersion.text).where(
    DefinitionVersion.active_key.in_(("routing:default", "sla:default"))
)


def active_text(db_session: Session, kind: str) -> str | None:
    """The active version's YAML of `kind` (routing or sla), if any."""
    return db_session.scalar(_ACTIVE, {"key": f"{kind}:default"})


def active_texts(db_session: Session) -> dict[str, str | None]:
    """The active routing and SLA texts, in one query (routing at the MQL moment reads them)."""
    found: dict[str, str] = {kind: text for kind, text in db_session.execute(_BOTH)}
    return {kind: found.get(kind) for kind in ("routing", "sla")}


def _check_routing(db_session: Session, text: str, file: str) -> Sequence[Issue]:
    from tandem.handoff.runtime import user_keys

    sla = active_text(db_session, "sla")
    found = check_handoff_texts(
        (text, file), (sla, "<active sla>"), known_users=user_keys(db_session).keys()
    )
    # Issues of the active SLA policies against these rules are this version's too.
    return found.issues


def _check_sla(db_session: Session, text: str, file: str) -> Sequence[Issue]:
    routing = active_text(db_session, "routing")
    found = check_handoff_texts((routing, "<active routing>"), (text, file))
    return [i for i in found.issues if i.file == file]


ROUTING = DefinitionKind(
    name="routing",
    title="routing rules",
    check=_check_routing,
    roles=(Role.SALES_MANAGER, Role.ADMIN),
)
SLA = DefinitionKind(
    name="sla",
    title="SLA policies",
    check=_check_sla,
    roles=(Role.SALES_MANAGER, Role.ADMIN),
)
