"""Typed domain events: capabilities react to each other's writes without importing them.

The app factory and the CLI build one `EventBus` from the capability manifests and put it on
every session they make (`session.info["events"]`); a writer (ingest, the event API, the
lifecycle service, scoring, the handoff) publishes through the session it writes with, and the
subscribers run in that same transaction, so a score or a route is never out of step with
what caused it. No module-global state: a session without a bus publishes to nobody.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class StoredActivity:
    """What subscribers learn about a newly stored activity."""

    id: int
    contact_id: int
    type: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class ActivitiesStored:
    """New activities were stored (duplicates of stored ones are not announced)."""

    activities: Sequence[StoredActivity]


def distinct_contacts(activities: Sequence[StoredActivity]) -> list[int]:
    """The contacts of `activities`, each once, sorted; read from a column when the sequence
    keeps one (`contact_ids()`: an import chunk announces 200,000 activities, which it makes
    into objects only if a subscriber iterates them)."""
    column = getattr(activities, "contact_ids", None)
    if column is not None:
        return column()
    return sorted({a.contact_id for a in activities})


@dataclass(frozen=True, slots=True)
class StageChange:
    """One contact's logged stage move."""

    contact_id: int
    from_stage: str | None
    to_stage: str
    at: datetime
    cause: str | None = None  # scoring:demo@2, import:hubspot, handoff:accept ...


@dataclass(frozen=True, slots=True)
class StageChanged:
    """Contacts moved stage (one event for a whole batch, so bulk writers stay set-based)."""

    changes: Sequence[StageChange]


@dataclass(frozen=True, slots=True)
class ScoreChanged:
    """Contacts' scores were written by `cause` (an activity, a rescore, a model approval)."""

    contact_ids: Sequence[int]
    model_version: str
    cause: str


@dataclass(frozen=True, slots=True)
class HandoffAnswered:
    """Sales accepted or rejected a handed-off lead."""

    handoff_id: int
    contact_id: int
    answer: str  # accepted | rejected
    by_user_id: int
    at: datetime
    reason_code: str | None = None


@dataclass(frozen=True, slots=True)
class RaisedSignal:
    """One usage signal newly raised for an account (`tandem.usage`)."""

    signal_id: int
    account_id: int
    kind: str  # churn_risk | expansion | pql
    rule: str
    raised_at: datetime


@dataclass(frozen=True, slots=True)
class UsageSignalsRaised:
    """Usage signals were raised (a churn risk or an expansion for the account's owner, a PQL
    for the lead funnel); raising the same signal again the same week is not announced."""

    signals: Sequence[RaisedSignal]


@dataclass(frozen=True, slots=True)
class UserUsageStored:
    """Per-user usage was stored (new or changed facts) for these contacts, at `at` (the
    `user_usage` import and the usage event API); the PQL rule is evaluated for them."""

    contact_ids: Sequence[int]
    at: datetime


E = TypeVar("E")
Handler = Callable[[Session, Any], None]


class LazyHandler:
    """A handler named `module:function`, imported when first called (a command that never
    stores activities never imports scoring)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._function: Handler | None = None

    def __call__(self, db_session: Session, event: Any) -> None:
        if self._function is None:
            module, name = self.target.split(":")
            self._function = getattr(importlib.import_module(module), name)
        self._function(db_session, event)

    def __repr__(self) -> str:
        return f"LazyHandler({self.target!r})"


class EventBus:
    """Event type -> handlers, called in subscription order in the publisher's transaction."""

    def __init__(self, handlers: Iterable[tuple[type, Handler]] = ()) -> None:
        self._handlers: dict[type, list[Handler]] = {}
        #: What handlers keep between events of this bus (e.g. parsed definitions): scoped to
        #: the app or command that built the bus, never to the process.
        self.cache: dict[str, Any] = {}
        for event_type, handler in handlers:
            self.subscribe(event_type, handler)

    def subscribe(self, event_type: type[E], handler: Callable[[Session, E], None]) -> None:
        """Add `handler` for `event_type` (once: subscribing twice has no extra effect)."""
        found = self._handlers.setdefault(event_type, [])
        if handler not in found:
            found.append(handler)

    def subscriptions(self) -> list[tuple[type, Handler]]:
        """Every (event type, handler) pair, in order."""
        return [(kind, h) for kind, found in self._handlers.items() for h in found]

    def handlers(self, event_type: type) -> Sequence[Handler]:
        """The handlers of `event_type`, in order."""
        return tuple(self._handlers.get(event_type, ()))

    def publish(self, db_session: Session, event: object) -> None:
        """Run every handler of the event's type with `db_session`."""
        for handler in self._handlers.get(type(event), ()):
            handler(db_session, event)


BUS_KEY = "events"


def bus_of(db_session: Session) -> EventBus | None:
    """The bus the session was made with, if any."""
    return db_session.info.get(BUS_KEY)


def session_info(bus: EventBus | None) -> Mapping[str, Any]:
    """`info` for a session (or sessionmaker) whose writes publish to `bus`."""
    return {BUS_KEY: bus} if bus is not None else {}


def publish(db_session: Session, event: object) -> None:
    """Publish `event` to the session's bus (nobody listens on a session without one)."""
    bus = bus_of(db_session)
    if bus is not None:
        bus.publish(db_session, event)
