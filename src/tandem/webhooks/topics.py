"""The events a subscription may ask for, and their JSON bodies built from Tandem's domain
events. Pure: no storage, no web."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

STAGE_CHANGED = "stage.changed"
HANDOFF_ANSWERED = "handoff.answered"
MQL_NEW = "mql.new"
DEAL_WON = "deal.won"
USAGE_SIGNAL = "usage.signal"

#: event name -> what it says, in the order pages list them.
TOPICS: dict[str, str] = {
    STAGE_CHANGED: "a contact moved lifecycle stage",
    HANDOFF_ANSWERED: "sales accepted or rejected a handed-off lead",
    MQL_NEW: "a contact became an MQL",
    DEAL_WON: "a contact became a customer (a deal won)",
    USAGE_SIGNAL: "a usage signal was raised for an account (churn risk, expansion, PQL)",
}


class UnknownTopic(ValueError):
    """An event name that is not one of `TOPICS`."""


def parse_topics(raw: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Event names from `stage.changed,mql.new` (commas or spaces) or a list, checked and in
    `TOPICS` order; `*` or `all` means every event."""
    names = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    if any(n in ("*", "all") for n in names):
        return tuple(TOPICS)
    unknown = sorted(set(names) - set(TOPICS))
    if unknown:
        raise UnknownTopic(
            f"unknown event {', '.join(unknown)}; the events are {', '.join(TOPICS)}"
        )
    if not names:
        raise UnknownTopic(f"name at least one event: {', '.join(TOPICS)}")
    return tuple(t for t in TOPICS if t in names)


def _iso(at: dt.datetime) -> str:
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).isoformat()


def stage_bodies(changes: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) for each logged stage move: always `stage.changed`, and `mql.new` or
    `deal.won` when the move reached MQL or customer."""
    for change in changes:
        data = {
            "contact_id": change.contact_id,
            "from_stage": change.from_stage,
            "to_stage": change.to_stage,
            "at": _iso(change.at),
            "cause": change.cause,
        }
        yield STAGE_CHANGED, data
        if change.to_stage == "mql":
            yield MQL_NEW, data
        elif change.to_stage == "customer":
            yield DEAL_WON, data


def answer_body(event: Any) -> dict[str, Any]:
    """The data of `handoff.answered`."""
    return {
        "handoff_id": event.handoff_id,
        "contact_id": event.contact_id,
        "answer": event.answer,
        "reason_code": event.reason_code,
        "by_user_id": event.by_user_id,
        "at": _iso(event.at),
    }


def signal_bodies(signals: Any) -> Iterator[dict[str, Any]]:
    """The data of `usage.signal`, one per raised signal."""
    for s in signals:
        yield {
            "signal_id": s.signal_id,
            "account_id": s.account_id,
            "kind": s.kind,
            "rule": s.rule,
            "raised_at": _iso(s.raised_at),
        }
