"""Recording MQL crossings in the lifecycle: the one place scoring moves a contact's stage.

Only contacts still on marketing's side (subscriber, lead, nurture) move; a contact sales has
already taken (SAL and beyond) or disqualified is left where it is. Scores falling below the
MQL rule never move anyone back: demotion is a human decision (recycle, with a reason).

The move itself is the lifecycle service's (`tandem.lifecycle.service.promote`): checked against
the allowed-moves table, logged with the scoring model version as actor, announced as
`StageChanged`, on which the handoff routes the new MQLs in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from tandem.lifecycle import service as lifecycle
from tandem.lifecycle.stages import Stage

#: Stages from which crossing the MQL rule moves a contact to MQL.
PROMOTABLE = (Stage.SUBSCRIBER, Stage.LEAD, Stage.NURTURE)


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
    return lifecycle.promote(
        db_session,
        contact_ids,
        to_stage=Stage.MQL,
        from_stages=PROMOTABLE,
        at=at,
        cause=actor_for(model_label),
        reason=reason,
    )


def mql_rule_text(mql: object) -> str:
    """`fit >= 40, engagement >= 30`: the MQL rule in words, for transition reasons."""
    parts = [
        f"{name} >= {value:g}"
        for name in ("total", "fit", "engagement")
        if (value := getattr(mql, name, None)) is not None
    ]
    return ", ".join(parts)
