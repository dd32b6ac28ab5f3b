"""Recording MQL crossings in the lifecycle: the one place scoring moves a contact's stage.

Only contacts still on marketing's side (subscriber, lead, nurture) move; a contact sales has
already taken (SAL and beyond) or disqualified is left where it is. Scores falling below the
MQL rule never move anyone back: demotion is a human decision (recycle, with a reason).

Every move is checked against the allowed-moves table (`check_move`), logged in
`stage_transitions` with the scoring model version as actor, and applied to the contact with a
conditional UPDATE, so a contact whose stage changed meanwhile is not moved twice. The
handoff picks MQLs up from the stage (its sweep routes contacts in `mql` without a handoff).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from tandem.contacts.models import Contact
from tandem.handoff.transitions import check_move
from tandem.lifecycle.models import StageTransition
from tandem.lifecycle.stages import Stage

#: Stages from which crossing the MQL rule moves a contact to MQL.
PROMOTABLE = (Stage.SUBSCRIBER, Stage.LEAD, Stage.NURTURE)
_CHUNK = 5_000


def actor_for(label: str) -> str:
    """The transition log's actor for a model version (`scoring:default@3`)."""
    return f"scoring:{label}"[:100]


def promote(
    db_session: Session,
    contact_ids: Sequence[int],
    *,
    at: datetime,
    model_label: str,
    reason: str,
) -> list[int]:
    """Move those of `contact_ids` still in a promotable stage to MQL; returns who moved."""
    moved: list[int] = []
    actor = actor_for(model_label)
    for start in range(0, len(contact_ids), _CHUNK):
        chunk = list(contact_ids[start : start + _CHUNK])
        stages = db_session.execute(
            select(Contact.lifecycle_stage)
            .where(Contact.id.in_(chunk), Contact.lifecycle_stage.in_(PROMOTABLE))
            .distinct()
        ).scalars()
        for stage in list(stages):
            move = check_move(stage, Stage.MQL, reason)  # nurture -> MQL is a reopen: has reason
            ids = db_session.execute(
                update(Contact)
                .where(Contact.id.in_(chunk), Contact.lifecycle_stage == stage)
                .values(lifecycle_stage=Stage.MQL.value, stage_entered_at=at)
                .returning(Contact.id)
                .execution_options(synchronize_session="fetch")
            ).scalars()
            rows = [
                {
                    "contact_id": cid,
                    "from_stage": stage,
                    "to_stage": move.to_stage.value,
                    "occurred_at": at,
                    "actor": actor,
                    "reason": move.reason,
                }
                for cid in ids
            ]
            if rows:
                db_session.execute(insert(StageTransition), rows)
                moved += [r["contact_id"] for r in rows]
    return moved


def mql_rule_text(mql: object) -> str:
    """`fit >= 40, engagement >= 30`: the MQL rule in words, for transition reasons."""
    parts = [
        f"{name} >= {value:g}"
        for name in ("total", "fit", "engagement")
        if (value := getattr(mql, name, None)) is not None
    ]
    return ", ".join(parts)
