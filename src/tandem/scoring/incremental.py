"""The incremental update: each new activity rescores its contact in the writer's transaction.

Subscribed to `ActivitiesStored` by scoring's manifest, so whoever stores activities (the event
API, importers, the demo) gets scores updated in the same commit. Per contact it loads the stored
engine state (or rebuilds it from the contact's history after a bulk rescore or a model change),
adds the new activities, scores as of now, stores score, explanation and pruned state, appends
to the score history, and records the MQL transition when this update crossed the MQL rule.
A large batch (an import) is rescored in bulk instead, with the vectorised engine.

This runs inside a request that is waiting for it, so it reads with prepared statements and
writes with two plain statements (no ORM unit of work): about a millisecond on SQLite.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from tandem.db import utcnow
from tandem.events import ActivitiesStored, ScoreChanged, StoredActivity, publish
from tandem.scoring import mql, service, store
from tandem.scoring.engine import add_activity, prune_state, score_state, state_from_activities
from tandem.scoring.facts import ScoreResult
from tandem.scoring.model import ScoringModel
from tandem.scoring.models import ContactScore, ContactScoreHistory
from tandem.scoring.service import VersionRef

#: Above this many contacts in one announcement (an import batch), rescore them in bulk.
BULK_CONTACTS = 200


def score_new_activities(
    db_session: Session, activities: Sequence[StoredActivity], *, now: datetime | None = None
) -> None:
    """Rescore the contacts of newly stored activities, in the writer's transaction."""
    found = service.active_model(db_session)
    if found is None:
        return
    version, model = found
    types = {rule.activity_type for rule in model.behaviour_rules}
    ids: dict[int, list[int]] = defaultdict(list)
    for a in activities:
        if a.type in types:
            ids[a.contact_id].append(a.id)
    if not ids:
        return  # nothing any rule counts: the stored score is still right (decay is read-time)
    moment = now or utcnow()
    if len(ids) > BULK_CONTACTS:
        # An import batch: one vectorised rescore of its contacts beats one update each.
        service.rescore_all(
            db_session=db_session,
            version=version,
            as_of=moment,
            model=model,
            contact_ids=sorted(ids),
        )
        return
    db_session.flush()  # the writer's rows first; then no autoflush between our reads
    with db_session.no_autoflush:
        for contact_id, new_ids in ids.items():
            update_contact(db_session, version, model, contact_id, new_ids, now=moment)
    publish(db_session, ScoreChanged(list(ids), version.label, "activity"))


@lru_cache(maxsize=1)
def _stored_statement() -> Any:
    # FOR UPDATE (PostgreSQL): two workers scoring one contact must not both start from the
    # same state and lose an activity. SQLite serialises writers anyway.
    score = ContactScore
    return (
        select(score.model_version_id, score.state, score.fit, score.engagement)
        .where(score.contact_id == bindparam("contact_id"))
        .with_for_update()
    )


@lru_cache(maxsize=1)
def _writes() -> tuple[Any, Any, Any]:
    """Insert score, update score (by `cid`), insert history point: built once, the values
    come as parameters."""
    scores, history = ContactScore.__table__, ContactScoreHistory.__table__
    return (
        insert(scores),
        update(scores).where(scores.c.contact_id == bindparam("cid")),
        insert(history),
    )


def _stored(db_session: Session, contact_id: int) -> Any:
    return db_session.execute(_stored_statement(), {"contact_id": contact_id}).first()


def update_contact(
    db_session: Session,
    version: VersionRef,
    model: ScoringModel,
    contact_id: int,
    new_ids: Sequence[int],
    *,
    now: datetime,
) -> ScoreResult:
    """Add the activities `new_ids` (already stored) to one contact's score as of `now`.

    Without a usable stored state, the contact's history is read once: the new activities are
    split off it, so they are counted once.
    """
    row = _stored(db_session, contact_id)
    if row is not None and row.model_version_id == version.id and row.state is not None:
        state = service.state_from_json(row.state)
        new = store.activity_facts(db_session, model, ids=new_ids)
    else:
        fresh = set(new_ids)
        history = store.activity_facts(db_session, model, contact_id=contact_id, with_ids=True)
        state = state_from_activities(model, [f for i, f in history if i not in fresh])
        new = [f for i, f in history if i in fresh]
    facts = store.contact_facts(db_session, model, contact_id)
    before = score_state(model, facts, state, as_of=now)
    for activity in new:
        state = add_activity(model, state, activity)
    after = score_state(model, facts, state, as_of=now)
    values = {
        "model_version_id": version.id,
        "model_version": version.label,
        "fit": after.fit,
        "engagement": after.engagement,
        "total": after.total,
        "grade": after.grade,
        "is_mql": after.is_mql,
        "parts": after.as_dict()["parts"],
        "state": service.state_to_json(prune_state(model, state, as_of=now)),
        "scored_at": now,
    }
    insert_score, update_score, insert_history = _writes()
    if row is None:
        db_session.execute(insert_score, {"contact_id": contact_id, **values})
    else:
        db_session.execute(update_score, {"cid": contact_id, **values})
    if row is None or (row.fit, row.engagement) != (after.fit, after.engagement):
        point = {k: values[k] for k in ("model_version_id", "fit", "engagement", "total", "is_mql")}
        db_session.execute(
            insert_history, {"contact_id": contact_id, "at": now, "cause": "activity", **point}
        )
    if after.is_mql and not before.is_mql:
        reason = (
            f"crossed the MQL rule ({mql.mql_rule_text(model.mql)}) of {version.label}: "
            f"fit {after.fit}, engagement {after.engagement}, total {after.total}"
        )
        mql.promote(db_session, [contact_id], at=now, model_label=version.label, reason=reason)
    return after


def on_activities_stored(db_session: Session, event: ActivitiesStored) -> None:
    """The `ActivitiesStored` handler: rescore the contacts the new activities belong to."""
    score_new_activities(db_session, event.activities)
