"""In-process domain events: capabilities react to each other's writes without importing them.

The writer (ingest, the event API, the demo loader) announces what it stored, inside its own
transaction; subscribers (scoring's incremental update, handoff's routing) run in that same
transaction, so a score is never out of step with the activities it counts.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class StoredActivity:
    """What subscribers learn about a newly stored activity."""

    id: int
    contact_id: int
    type: str
    occurred_at: datetime


ActivitiesHandler = Callable[[Session, Sequence[StoredActivity]], None]
_activity_handlers: list[ActivitiesHandler] = []


def on_activities_stored(handler: ActivitiesHandler) -> ActivitiesHandler:
    """Register `handler` (usable as a decorator); registering twice has no extra effect."""
    if handler not in _activity_handlers:
        _activity_handlers.append(handler)
    return handler


def activities_stored(db_session: Session, activities: Sequence[StoredActivity]) -> None:
    """Announce new activities to every subscriber, in the caller's transaction."""
    if not activities:
        return
    for handler in list(_activity_handlers):
        handler(db_session, activities)
