"""The suggested next step in a handoff packet: the first rule (in order) that fits the facts.

Pure: the packet builder passes the facts and `as_of`; rules are data plus small predicates,
not strings evaluated at run time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from tandem.definitions.base import Frozen

RECENT = dt.timedelta(days=14)


class StepFacts(Frozen):
    """What the suggestion looks at."""

    as_of: dt.datetime
    activity: tuple[tuple[str, dt.datetime, str | None], ...] = ()  # (type, at, url) newest first
    content_stages: tuple[str, ...] = ()  # journey stages of assets consumed
    last_asset: str | None = None
    open_opportunities: tuple[str, ...] = ()
    roles_covered: tuple[str, ...] = ()
    account_name: str | None = None
    campaign: str | None = None


class Suggestion(Frozen):
    """The suggested action and the facts behind it."""

    action: str
    why: tuple[str, ...]


@dataclass(frozen=True)
class _Rule:
    applies: Callable[[StepFacts], str | None]  # the reason it applies, or None
    action: Callable[[StepFacts], str]


def _recent(facts: StepFacts, kind: str, url_part: str | None = None) -> dt.datetime | None:
    for type_, at, url in facts.activity:
        if facts.as_of - at > RECENT:
            break
        if type_ == kind and (url_part is None or (url and url_part in url)):
            return at
    return None


def _when(at: dt.datetime | None, what: str) -> str | None:
    return None if at is None else f"{what} on {at:%Y-%m-%d}"


RULES: tuple[_Rule, ...] = (
    _Rule(
        lambda f: (
            f"open deal at the account: {', '.join(f.open_opportunities)}"
            if f.open_opportunities
            else None
        ),
        lambda f: "Talk to the deal owner first, then reach out as part of the open deal",
    ),
    _Rule(
        lambda f: _when(_recent(f, "demo_request"), "asked for a demo"),
        lambda f: "Call today and book the demo they asked for",
    ),
    _Rule(
        lambda f: _when(
            _recent(f, "page_view", "pricing") or _recent(f, "web_visit", "pricing"),
            "looked at pricing",
        ),  # fmt: skip
        lambda f: "Call: they are weighing cost; offer a pricing walkthrough",
    ),
    _Rule(
        lambda f: _when(_recent(f, "webinar_attend"), "attended a webinar"),
        lambda f: (
            f"Follow up on the webinar{f' ({f.campaign})' if f.campaign else ''} with a short call"
        ),
    ),
    _Rule(
        lambda f: "read decision-stage content" if "decision" in f.content_stages else None,
        lambda f: "Offer a tailored demo or trial: they are comparing options",
    ),
    _Rule(
        lambda f: (
            f"no decision maker known at {f.account_name}"
            if f.account_name and "decision_maker" not in f.roles_covered
            else None
        ),
        lambda f: "Qualify the buying committee: ask who else decides",
    ),
)


def suggest_next_step(facts: StepFacts) -> Suggestion:
    """The first rule that applies; a personal email about their last content otherwise."""
    for rule in RULES:
        reason = rule.applies(facts)
        if reason:
            return Suggestion(action=rule.action(facts), why=(reason,))
    if facts.last_asset:
        return Suggestion(
            action=f"Send a personal email following up on \u201c{facts.last_asset}\u201d",
            why=(f"last content consumed: {facts.last_asset}",),
        )
    return Suggestion(
        action="Send a short personal introduction email", why=("no strong signal yet",)
    )
