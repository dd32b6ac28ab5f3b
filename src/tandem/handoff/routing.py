"""Routing a new MQL to an owner: account owner, then territory rules, then weighted round robin
within the team (skipping reps who are away or full), then the fallback queue.

Deterministic: the same rules, lead, rep state and cursor always give the same decision, and the
decision says why in words a rep or admin can read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Protocol

from pydantic import Field

from tandem.definitions.base import Frozen
from tandem.handoff.routing_rules import (
    MATCH_FIELDS,
    Rep,
    RoutingMatch,
    RoutingRules,
    TerritoryRule,
)

ACCOUNT_OWNER = "account_owner"
FALLBACK = "fallback"


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadFacts:
    """What routing looks at: the contact's and its account's fields, and the account owner.
    A plain dataclass: a tick makes one per MQL from columns the store has typed already."""

    contact_id: str
    region: str | None = None
    country: str | None = None
    industry: str | None = None
    employee_band: str | None = None
    employee_count: int | None = None  # used for the band when employee_band is not given
    tier: str | None = None  # target-account tier
    is_target: bool | None = None
    account_id: str | None = None
    account_owner_id: str | None = None


class RepState(Frozen):
    """A rep's live state: open (unworked) leads and whether they are away right now."""

    open_leads: int = Field(0, ge=0)
    away: bool = False


class RepLoad(Protocol):
    """What routing reads of a rep's live state (a `RepState`, or a caller's lighter copy)."""

    @property
    def open_leads(self) -> int:
        """Open (unworked) leads."""

    @property
    def away(self) -> bool:
        """Away right now."""


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """Where a lead goes and why. Exactly one of `owner_id` and `queue` is set.

    Persist `new_cursor` (team or pool key -> next round-robin slot) for the next call.
    A plain dataclass: one is made per lead routed, from values checked already.
    """

    contact_id: str
    owner_id: str | None
    queue: str | None
    rule_id: str  # "account_owner", the matched territory rule id, or "fallback" (none matched)
    team: str | None  # the round-robin pool used, if any
    reason: str
    trace: tuple[str, ...]  # every step considered, for `routing test`
    new_cursor: dict[str, int]


def route(
    rules: RoutingRules,
    lead: LeadFacts,
    reps_state: Mapping[str, RepLoad],
    rr_cursor: Mapping[str, int],
) -> RouteDecision:
    """Decide the owner (or queue) of `lead`; pure and deterministic for a given cursor."""
    trace: list[str] = []
    cursor = dict(rr_cursor)

    def decide(
        rule_id: str, reason: str, owner: str | None = None, team: str | None = None
    ) -> RouteDecision:
        trace.append(reason)
        return RouteDecision(
            contact_id=lead.contact_id,
            owner_id=owner,
            queue=None if owner else rules.fallback.queue,
            rule_id=rule_id,
            team=team,
            reason=reason,
            trace=tuple(trace),
            new_cursor=cursor,
        )

    owner = lead.account_owner_id
    if rules.account_owner.enabled and owner:
        away = _away(rules, reps_state, owner)
        if not (away and rules.account_owner.respect_away):
            # Account continuity beats load: the owner gets it even above capacity.
            return decide(
                ACCOUNT_OWNER, f"account {lead.account_id or '?'} is owned by {owner}", owner
            )
        trace.append(f"account owner {owner} is away; trying territory rules")

    band = lead.employee_band or rules.band_for(lead.employee_count)
    values = _match_fields(lead, band)
    for rule in rules.rules:
        matched, why = _match_values(rule.match, values, lead.is_target)
        if not matched:
            trace.append(f"rule {rule.id!r} skipped: {why}")
            continue
        key, pool = _pool(rules, rule)
        pick = _round_robin(pool, reps_state, cursor.get(key, 0))
        if pick.user_id is None:
            return decide(
                rule.id,
                f"rule {rule.id!r} matched ({why}) but no rep in {key} can take it "
                f"({pick.note}); "
                f"sent to queue {rules.fallback.queue!r}",
                team=key,
            )
        cursor[key] = pick.next_position
        return decide(
            rule.id,
            f"rule {rule.id!r} matched ({why}); round robin in {key} picked {pick.user_id} "
            f"({pick.note})",
            pick.user_id,
            key,
        )
    return decide(FALLBACK, f"no territory rule matched; sent to queue {rules.fallback.queue!r}")


def _away(rules: RoutingRules, reps_state: Mapping[str, RepLoad], user_id: str) -> bool:
    rep = rules.rep(user_id)
    state = reps_state.get(user_id)
    return bool((rep and rep.away) or (state and state.away))


def _match_fields(lead: LeadFacts, band: str | None) -> tuple[str | None, ...]:
    """The lead's values of the fields a rule may match on, read once for all rules."""
    return tuple(band if n == "employee_band" else getattr(lead, n) for n in MATCH_FIELDS)


@lru_cache(maxsize=4096)
def _match_values(
    match: RoutingMatch, values: tuple[str | None, ...], is_target: bool | None
) -> tuple[bool, str]:
    """Whether the lead meets every condition, and the words saying so (or the first miss)."""
    # Leads share a few territories: a tick of 100,000 MQLs asks the same questions again.
    met = []
    for name, value in zip(MATCH_FIELDS, values, strict=True):
        allowed = getattr(match, name)
        if not allowed:
            continue
        wanted = "/".join(allowed)
        if value is None:
            return False, f"{name} unknown, rule wants {wanted}"
        if value.casefold() not in {a.casefold() for a in allowed}:
            return False, f"{name} is {value}, rule wants {wanted}"
        met.append(f"{name} {value} in {wanted}")
    if match.is_target is not None:
        if is_target is not match.is_target:
            return False, f"is_target is {is_target}, rule wants {match.is_target}"
        met.append(f"is_target {match.is_target}")
    return True, "; ".join(met) or "catch-all rule"


def _pool(rules: RoutingRules, rule: TerritoryRule) -> tuple[str, tuple[Rep, ...]]:
    """The round-robin pool of a rule and its cursor key: the team id, or rule:<id> for reps."""
    if rule.team is not None:
        team = rules.teams.get(rule.team)
        return rule.team, team.reps if team else ()
    reps = tuple(r for r in (rules.rep(uid) for uid in rule.reps) if r is not None)
    return f"rule:{rule.id}", reps


class _Pick(NamedTuple):
    user_id: str | None
    next_position: int
    note: str


#: The state of a rep nobody told us about: no open leads, not away.
_IDLE = RepState()


def _round_robin(pool: tuple[Rep, ...], reps_state: Mapping[str, RepLoad], position: int) -> _Pick:
    """Walk the weighted sequence from `position`; the first available rep gets the lead."""
    sequence = _weighted_sequence(tuple((r.user_id, r.capacity) for r in pool))
    by_id = {r.user_id: r for r in pool}
    skipped: dict[str, str] = {r.user_id: "capacity 0" for r in pool if r.capacity == 0}
    for i in range(len(sequence)):
        slot = (position + i) % len(sequence)
        user_id = sequence[slot]
        rep, state = by_id[user_id], reps_state.get(user_id, _IDLE)
        if rep.away or state.away:
            skipped.setdefault(user_id, "away")
        elif state.open_leads >= rep.capacity:
            skipped.setdefault(user_id, f"full, {state.open_leads}/{rep.capacity} open")
        else:
            note = f"slot {slot + 1} of {len(sequence)}, {state.open_leads}/{rep.capacity} open"
            if skipped:
                note += "; skipped " + ", ".join(f"{u} ({w})" for u, w in skipped.items())
            return _Pick(user_id=user_id, next_position=(slot + 1) % len(sequence), note=note)
    detail = ", ".join(f"{r.user_id} ({skipped[r.user_id]})" for r in pool) or "no reps"
    return _Pick(user_id=None, next_position=position, note=detail)


@lru_cache(maxsize=256)
def _weighted_sequence(reps: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    """One cycle of smooth weighted round robin: each rep appears capacity/gcd times, spread out.

    (nginx's algorithm: weights 3,1,1 give a,b,a,c,a rather than a,a,a,b,c.)
    """
    live = [(u, c) for u, c in reps if c > 0]
    if not live:
        return ()
    divisor = math.gcd(*(c for _, c in live))
    weights = [c // divisor for _, c in live]
    total = sum(weights)
    current = [0] * len(live)
    out = []
    for _ in range(total):
        current = [cw + w for cw, w in zip(current, weights, strict=True)]
        best = max(range(len(live)), key=lambda i: (current[i], -i))  # ties: config order
        current[best] -= total
        out.append(live[best][0])
    return tuple(out)
