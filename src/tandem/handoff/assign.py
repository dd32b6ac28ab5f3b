"""Routing against the database: lead facts, live rep state and persisted round-robin cursors
around the pure `route`.

A `Router` is built once per batch (a tick, an accept, a routing test) and counts each lead it
hands out, so capacity holds within the batch too; `save` persists the cursors it moved.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.contacts.models import Contact
from tandem.handoff.models import Handoff, HandoffStatus, RepSetting, RoutingCursor, Subject
from tandem.handoff.routing import LeadFacts, RepLoad, RouteDecision, route
from tandem.handoff.routing_rules import RoutingRules
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.schemas import RoutingTest
from tandem.handoff.scores import ScoreProvider, table_scores
from tandem.handoff.sla import TierFacts
from tandem.sql import core_rows, in_param, is_postgres

_CHUNK = 5_000


def lead_facts(
    db_session: Session, config: HandoffConfig, contact_ids: Sequence[int]
) -> dict[int, LeadFacts]:
    """What routing and tier selection read about each contact and its account."""
    out: dict[int, LeadFacts] = {}
    ids = list(contact_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = core_rows(
            db_session,
            _facts_statement(is_postgres(db_session)),
            {"ids": ids[start : start + _CHUNK]},
        ).all()
        for (
            cid,
            country,
            aid,
            acountry,
            region,
            industry,
            band,
            employees,
            tier,
            target,
            owner,
        ) in rows:
            out[cid] = LeadFacts(
                contact_id=str(cid),
                region=region,
                country=country or acountry,
                industry=industry,
                # The routing file's bands are the vocabulary rules and SLA segments use, so
                # a head count is banded by them; the account's own label is the fallback.
                employee_band=config.rules.band_for(employees) or band,
                employee_count=employees,
                tier=tier,
                is_target=target if aid is not None else None,
                account_id=None if aid is None else str(aid),
                account_owner_id=config.key_of(owner),
            )
    return out


@cache
def _facts_statement(postgres: bool) -> Select:
    # Built once: routing runs inside the request that made the MQL.
    return (
        select(
            Contact.id,
            Contact.country,
            Account.id,
            Account.country,
            Account.region,
            Account.industry,
            Account.employee_band,
            Account.employees,
            Account.tier,
            Account.is_target,
            Account.owner_id,
        )
        .outerjoin(Account, Contact.account_id == Account.id)
        .where(in_param(Contact.id, "ids", postgres))
    )


def tier_facts(rules: RoutingRules, lead: LeadFacts, grade: str | None) -> TierFacts:
    """SLA tier inputs: the score grade, the segment (employee band), region and target flag."""
    return TierFacts(
        grade=grade,
        segment=lead.employee_band or rules.band_for(lead.employee_count),
        region=lead.region,
        is_target=lead.is_target,
    )


def effective_rules(config: HandoffConfig, overrides: dict[int, int]) -> RoutingRules:
    """The routing rules with capacity overrides (set per rep in Tandem) applied."""
    if not overrides:
        return config.rules
    teams = {}
    for name, team in config.rules.teams.items():
        reps = tuple(
            rep.model_copy(update={"capacity": overrides[uid]})
            if (uid := config.user_id(rep.user_id)) in overrides
            else rep
            for rep in team.reps
        )
        teams[name] = team.model_copy(update={"reps": reps})
    return config.rules.model_copy(update={"teams": teams})


#: What a Router reads: rep settings, open leads per owner, round-robin cursors (built once).
_ROUTER_READS = (
    select(RepSetting.user_id, RepSetting.away, RepSetting.capacity),
    # Capacity is an open-lead limit: account handoffs go to owners, not into the count.
    select(Handoff.owner_id, func.count())
    .where(
        Handoff.status.in_(HandoffStatus.LIVE),
        Handoff.owner_id.is_not(None),
        Handoff.subject == Subject.LEAD,
    )
    .group_by(Handoff.owner_id),
    select(RoutingCursor.pool, RoutingCursor.position),
)


class _Load(NamedTuple):
    """A rep's live state as the router keeps it (a `RepLoad`): one is made per lead routed,
    so a tuple rather than a validated `RepState`."""

    open_leads: int
    away: bool


class Router:
    """Routes leads one after another against live state; see the module docstring."""

    def __init__(self, db_session: Session, config: HandoffConfig) -> None:
        self.db, self.config = db_session, config
        settings = db_session.execute(_ROUTER_READS[0]).all()
        self.rules = effective_rules(
            config, {uid: cap for uid, _, cap in settings if cap is not None}
        )
        away = {uid for uid, is_away, _ in settings if is_away}
        counts = dict(db_session.execute(_ROUTER_READS[1]).all())
        self.states: dict[str, RepLoad] = {}
        for uid in set(counts) | away:
            key = config.key_of(uid)
            if key is not None:
                self.states[key] = _Load(counts.get(uid, 0), uid in away)
        self.saved = dict(db_session.execute(_ROUTER_READS[2]).all())
        self.cursor = dict(self.saved)

    def route(self, lead: LeadFacts, *, exclude: Collection[str] = ()) -> RouteDecision:
        """Route one lead; `exclude` (rep keys) are treated as away, e.g. the owner being
        reassigned away from. The owner's open-lead count goes up by one."""
        states = self.states  # `route` only reads it; copied when `exclude` changes it
        if exclude:
            states = dict(states)
            for key in exclude:
                was = states.get(key)
                states[key] = _Load(was.open_leads if was else 0, True)
        decision = route(self.rules, lead, states, self.cursor)
        self.cursor = decision.new_cursor  # a fresh dict `route` made, never changed after
        if decision.owner_id is not None:
            was = self.states.get(decision.owner_id)
            self.states[decision.owner_id] = (
                _Load(was.open_leads + 1, was.away) if was else _Load(1, False)
            )
        return decision

    def release(self, owner_key: str | None) -> None:
        """One lead fewer for `owner_key` (it was reassigned away from them)."""
        if owner_key in self.states:
            was = self.states[owner_key]
            self.states[owner_key] = _Load(max(was.open_leads - 1, 0), was.away)

    def save(self) -> None:
        """Persist the round-robin cursors this router moved."""
        for pool, position in self.cursor.items():
            if self.saved.get(pool) == position:
                continue
            row = self.db.get(RoutingCursor, pool)
            if row is None:
                self.db.add(RoutingCursor(pool=pool, position=position))
            else:
                row.position = position
        self.saved = dict(self.cursor)
        self.db.flush()


def routing_test(
    *,
    db_session: Session,
    config: HandoffConfig,
    contact_id: int,
    scores: ScoreProvider = table_scores,
) -> RoutingTest:
    """Where the contact would be routed now and why, with its SLA policy and tier.

    Uses live rep state and round-robin cursors but saves nothing.
    """
    facts = lead_facts(db_session, config, [contact_id])
    if contact_id not in facts:
        raise LookupError(f"no contact with id {contact_id}")
    router = Router(db_session, config)
    decision = router.route(facts[contact_id])
    policy = config.sla.policy_for_team(decision.team)
    score = scores(db_session, [contact_id]).get(contact_id)
    lead = tier_facts(router.rules, facts[contact_id], score.grade if score else None)
    tier = policy.select_tier(lead) if policy else None
    return RoutingTest(
        contact_id=contact_id,
        owner_id=config.user_id(decision.owner_id),
        owner_key=decision.owner_id,
        queue=decision.queue,
        rule_id=decision.rule_id,
        team=decision.team,
        reason=decision.reason,
        trace=list(decision.trace),
        policy=policy.name if policy else None,
        tier=tier.name if tier else None,
    )
