"""Event handlers: queue the webhooks of a change in the transaction that made it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tandem.db import utcnow
from tandem.events import HandoffAnswered, StageChanged, UsageSignalsRaised
from tandem.webhooks import topics
from tandem.webhooks.service import enqueue


def on_stage_changed(db_session: Session, event: StageChanged) -> None:
    """`stage.changed` for every move, `mql.new` and `deal.won` for those that reach them."""
    enqueue(db_session, topics.stage_bodies(event.changes), utcnow())


def on_handoff_answered(db_session: Session, event: HandoffAnswered) -> None:
    """`handoff.answered` when sales accepts or rejects a lead."""
    enqueue(db_session, [(topics.HANDOFF_ANSWERED, topics.answer_body(event))], utcnow())


def on_signals_raised(db_session: Session, event: UsageSignalsRaised) -> None:
    """`usage.signal` per raised usage signal."""
    bodies = topics.signal_bodies(event.signals)
    enqueue(db_session, ((topics.USAGE_SIGNAL, b) for b in bodies), utcnow())
