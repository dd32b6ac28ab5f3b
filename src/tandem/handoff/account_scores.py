"""Account scores as the handoff's queue shows them: the stored account score (`tandem.accounts`)
of each handed-off account, in the same `ScoreView` as a lead's, explained part by part."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts.models import AccountScore
from tandem.handoff.scores import ScorePart, ScoreView

_CHUNK = 5_000


def subject_scores(db_session: Session, account_ids: Sequence[int]) -> dict[int, ScoreView]:
    """The stored score of each account that has one (none: "score not available")."""
    out: dict[int, ScoreView] = {}
    ids = list(dict.fromkeys(account_ids))
    for start in range(0, len(ids), _CHUNK):
        for aid, total, version, parts in db_session.execute(
            select(
                AccountScore.account_id,
                AccountScore.total,
                AccountScore.model_version,
                AccountScore.parts,
            ).where(AccountScore.account_id.in_(ids[start : start + _CHUNK]))
        ):
            out[aid] = ScoreView(
                total=float(total),
                model_version=version,
                parts=[
                    ScorePart(rule_id=p["id"], kind=p.get("section"), points=float(p["points"]))
                    for p in parts or ()
                ],
            )
    return out
