"""Handing accounts to sales: an MQA (`AccountsQualified`), an expansion signal or a churn risk
(`UsageSignalsRaised`) routed to the account's owner, or by the routing rules when it has none,
with SLA clocks from the policy covering the subject, through the same `handoffs` table as leads.

Idempotent: each episode (the MQA moment, the signal) has a unique key, so the same event
twice makes one handoff; and an account with a live handoff of the same subject is not handed
off again (a second signal of the same kind the next week is the same piece of work).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tandem.accounts.events import AccountsQualified
from tandem.accounts.models import Account
from tandem.events import UsageSignalsRaised
from tandem.handoff.assign import Router
from tandem.handoff.clocks import ClockSet
from tandem.handoff.intake import config_for, initial_clocks
from tandem.handoff.models import Handoff, HandoffStatus, Subject
from tandem.handoff.notify import Kind, add_notifications, notification
from tandem.handoff.routing import LeadFacts
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.sla import TierFacts
from tandem.opportunities.models import Opportunity
from tandem.sql import insert_ignore, update_by_id

_CHUNK = 5_000
_FACTS = select(
    Account.id,
    Account.name,
    Account.country,
    Account.region,
    Account.industry,
    Account.employee_band,
    Account.employees,
    Account.tier,
    Account.is_target,
    Account.owner_id,
).where(Account.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class AccountEpisode:
    """An account to hand to sales: its subject, the moment and what caused it."""

    account_id: int
    subject: str  # Subject.ACCOUNT | EXPANSION | CHURN_RISK
    at: dt.datetime
    episode: str  # unique per account: mqa:<moment> or signal:<id>
    cause: str | None = None
    signal_id: int | None = None


def account_facts(
    db_session: Session, config: HandoffConfig, account_ids: Sequence[int]
) -> dict[int, tuple[str, LeadFacts]]:
    """Each account's name and what routing and tier selection read about it."""
    out = {}
    ids = list(dict.fromkeys(account_ids))
    for start in range(0, len(ids), _CHUNK):
        for (
            aid,
            name,
            country,
            region,
            industry,
            band,
            employees,
            tier,
            target,
            owner,
        ) in db_session.execute(_FACTS, {"ids": ids[start : start + _CHUNK]}):
            out[aid] = (
                name,
                LeadFacts(
                    contact_id=f"account:{aid}",
                    region=region,
                    country=country,
                    industry=industry,
                    employee_band=config.rules.band_for(employees) or band,
                    employee_count=employees,
                    tier=tier,
                    is_target=target,
                    account_id=str(aid),
                    account_owner_id=config.key_of(owner),
                ),
            )
    return out


def _live(db_session: Session, account_ids: Sequence[int]) -> set[tuple[int, str]]:
    """(account, subject) pairs sales is already working: an open handoff of the subject; for
    a signal also an accepted one not yet touched, or an expansion whose opportunity is open.
    (A new MQA moment only comes after the account fell below the rule: a new episode.)"""
    found: set[tuple[int, str]] = set()
    ids = list(account_ids)
    open_deal = Opportunity.is_closed.is_(False)
    for start in range(0, len(ids), _CHUNK):
        for aid, subject, status, deal_open in db_session.execute(
            select(Handoff.account_id, Handoff.subject, Handoff.status, open_deal)
            .outerjoin(Opportunity, Opportunity.id == Handoff.opportunity_id)
            .where(
                Handoff.account_id.in_(ids[start : start + _CHUNK]),
                Handoff.status.in_(HandoffStatus.LIVE) | open_deal,
            )
        ):
            if status == HandoffStatus.OPEN or subject != Subject.ACCOUNT or deal_open:
                found.add((aid, subject))
    return found


def hand_off_accounts(
    db_session: Session,
    config: HandoffConfig,
    episodes: Sequence[AccountEpisode],
    *,
    as_of: dt.datetime,
    router: Router | None = None,
) -> list[int]:
    """Route each account episode and record its handoff; returns the new handoff ids.

    Clocks start at each episode's moment. An account without an owner takes the rep it was
    routed to as owner (as a lead's contact does), so the rep may open what they must answer.
    """
    live = _live(db_session, [e.account_id for e in episodes])
    todo = []
    for e in episodes:
        if (e.account_id, e.subject) not in live:
            live.add((e.account_id, e.subject))  # one per account and subject in a batch too
            todo.append(e)
    if not todo:
        return []
    router = router or Router(db_session, config)
    facts = account_facts(db_session, config, [e.account_id for e in todo])
    clocks = ClockSet(config)
    rows = []
    for e in todo:
        if e.account_id not in facts:
            continue  # the account was deleted since the event
        _, lead = facts[e.account_id]
        decision = router.route(lead)
        policy = config.sla.policy_for_team(decision.team, e.subject)
        band = lead.employee_band
        tier = (
            policy.select_tier(
                TierFacts(segment=band, region=lead.region, is_target=lead.is_target)
            )
            if policy
            else None
        )
        row = {
            "subject": e.subject,
            "contact_id": None,
            "account_id": e.account_id,
            "episode": e.episode,
            "signal_id": e.signal_id,
            "mql_at": e.at,
            "cause": e.cause,
            "status": HandoffStatus.OPEN,
            "owner_id": config.user_id(decision.owner_id),
            "queue": decision.queue,
            "team": decision.team,
            "rule_id": decision.rule_id,
            "route_reason": decision.reason[:1000],
            "policy": policy.name if policy else None,
            "tier": tier.name if tier else None,
            "segment": band,
            "clock_started_at": e.at,
            "reassignments": 0,
            "created_at": as_of,
        }
        rows.append({**row, **initial_clocks(config, row, as_of, clocks)})
    new = insert_ignore(
        db_session, Handoff, rows, Handoff.id, Handoff.account_id, Handoff.owner_id, Handoff.subject
    )
    router.save()
    unowned = {
        aid for aid, (_, lead) in facts.items() if lead.account_owner_id is None
    }  # fmt: skip
    update_by_id(
        db_session,
        Account,
        [
            {"id": aid, "owner_id": owner}
            for _, aid, owner, _ in new
            if owner is not None and aid in unowned
        ],
    )
    moments = {(e.account_id, e.subject): e.at for e in todo}
    add_notifications(
        db_session,
        [
            notification(
                user_id=owner,
                kind=Kind.NEW_LEAD,
                subject=f"New {Subject.LABELS[subject]} in your queue: {facts[aid][0]}",
                body=f"Routed to you. Open /handoff/accounts/{aid} to accept or reject it.",
                at=moments[(aid, subject)],
                handoff_id=hid,
                key=f"handoff:{hid}:assigned:{owner}:{moments[(aid, subject)].isoformat()}",
            )
            for hid, aid, owner, subject in new
            if owner is not None
        ],
    )
    return [row[0] for row in new]


def on_accounts_qualified(db_session: Session, event: AccountsQualified) -> None:
    """The `AccountsQualified` handler: hand each new MQA to sales at its MQA moment."""
    config = config_for(db_session)
    if config is None or not event.account_ids:
        return
    db_session.flush()
    cause = f"account_score:{event.model_version}:{event.cause}"[:100]
    episodes = [
        AccountEpisode(aid, Subject.ACCOUNT, event.at, f"mqa:{event.at.isoformat()}", cause)
        for aid in event.account_ids
    ]
    hand_off_accounts(db_session, config, episodes, as_of=event.at)


def on_usage_signals(db_session: Session, event: UsageSignalsRaised) -> None:
    """The `UsageSignalsRaised` handler: hand each churn risk and expansion signal to sales
    (PQLs enter the lead funnel instead)."""
    wanted = [s for s in event.signals if s.kind in (Subject.EXPANSION, Subject.CHURN_RISK)]
    config = config_for(db_session) if wanted else None
    if config is None:
        return
    db_session.flush()
    by_moment: dict[dt.datetime, list[AccountEpisode]] = {}
    for s in sorted(wanted, key=lambda s: s.signal_id):
        by_moment.setdefault(s.raised_at, []).append(
            AccountEpisode(
                s.account_id,
                s.kind,
                s.raised_at,
                f"signal:{s.signal_id}",
                f"usage:{s.rule}"[:100],
                s.signal_id,
            )
        )
    for at, episodes in by_moment.items():
        hand_off_accounts(db_session, config, episodes, as_of=at)
