"""Handing MQLs to sales: route each new MQL, record the handoff, tell the owner.

MQLs are handed off at the MQL moment: `on_stage_changed` hears every move to MQL (scoring,
an import, the event API, a model approval) in the mover's transaction. The scheduler's sweep
is the safety net for contacts in the `mql` stage without a live handoff (moved before routing
was approved); their clocks start when the sweep finds them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.definitions.base import ConfigError
from tandem.events import StageChanged, bus_of
from tandem.handoff.assign import Router, lead_facts, tier_facts
from tandem.handoff.clocks import ClockSet
from tandem.handoff.models import Handoff, HandoffStatus
from tandem.handoff.notify import Kind, add_notifications, lead_labels, notification
from tandem.handoff.routing import LeadFacts
from tandem.handoff.runtime import ConfigCache, HandoffConfig, HandoffNotConfigured
from tandem.handoff.scores import ScoreProvider, table_scores
from tandem.handoff.sla_rules import SlaPolicy, SlaTier
from tandem.lifecycle.models import StageTransition
from tandem.lifecycle.service import move_stage
from tandem.lifecycle.stages import Stage
from tandem.sql import (
    among,
    core_rows,
    in_param,
    insert_ignore,
    is_postgres,
    pipelined,
    update_by_id,
)

_CHUNK = 5_000


@dataclass(frozen=True)
class NewMql:
    """A contact that became an MQL at `at`, and what caused it (e.g. scoring:v3)."""

    contact_id: int
    at: dt.datetime
    cause: str | None = None


def pending_mqls(db_session: Session, *, limit: int | None = None) -> list[NewMql]:
    """Contacts in the MQL stage without a live handoff, with their latest move to MQL."""
    live = exists().where(
        and_(Handoff.contact_id == Contact.id, Handoff.status.in_(HandoffStatus.LIVE))
    )
    query = (
        select(Contact.id, Contact.stage_entered_at, Contact.created_at)
        .where(Contact.lifecycle_stage == Stage.MQL.value, ~live)
        .order_by(Contact.id)
    )
    rows = core_rows(db_session, query.limit(limit) if limit else query).all()
    moved: dict[int, tuple[dt.datetime, str | None]] = {}
    ids = [r[0] for r in rows]
    for start in range(0, len(ids), _CHUNK):
        for cid, at, actor in core_rows(
            db_session,
            select(StageTransition.contact_id, StageTransition.occurred_at, StageTransition.actor)
            .where(
                StageTransition.to_stage == Stage.MQL.value,
                among(StageTransition.contact_id, ids[start : start + _CHUNK], db_session),
            )
            .order_by(StageTransition.occurred_at, StageTransition.id),
        ).all():
            moved[cid] = (at, actor)  # ordered by time: the last one wins
    return [
        NewMql(cid, *moved.get(cid, (entered or created, None))) for cid, entered, created in rows
    ]


def _arrivals(db_session: Session, ids: Sequence[int]) -> dict[int, tuple[int | None, str, str]]:
    """How each contact first arrived: campaign id, channel and source (for reject reports)."""
    query = (
        select(
            Contact.id,
            Contact.first_touch_campaign_id,
            Campaign.channel,
            Contact.first_touch_medium,
            Contact.first_touch_source,
        )
        .outerjoin(Campaign, Contact.first_touch_campaign_id == Campaign.id)
        .where(in_param(Contact.id, "ids", is_postgres(db_session)))
    )
    out = {}
    for start in range(0, len(ids), _CHUNK):
        for cid, campaign_id, channel, medium, source in core_rows(
            db_session, query, {"ids": ids[start : start + _CHUNK]}
        ).all():
            out[cid] = (campaign_id, channel or medium, source)
    return out


def hand_off(
    db_session: Session,
    config: HandoffConfig,
    mqls: Sequence[NewMql],
    *,
    as_of: dt.datetime,
    router: Router | None = None,
    scores: ScoreProvider = table_scores,
    clock_start: dt.datetime | None = None,
) -> list[int]:
    """Route each MQL and record its handoff; returns the new handoff ids.

    Clocks start at `clock_start` (default `as_of`). A contact already handed off for the
    same MQL moment is skipped, so a sweep repeated by two workers records it once.
    """
    if not mqls:
        return []
    router = router or Router(db_session, config)
    ids = [m.contact_id for m in mqls]
    facts = lead_facts(db_session, config, ids)
    grades = {cid: s.grade for cid, s in scores(db_session, ids).items()}
    arrivals = _arrivals(db_session, ids)
    start = clock_start or as_of
    rows = _handoff_rows(config, router, mqls, facts, grades, arrivals, start, as_of)
    # Rows conflicting on (contact, MQL moment) were handed off already and do not come back.
    # The rows are routed as they are written (PostgreSQL writes a batch while the next is
    # routed), so the router's cursors are saved after.
    new = insert_ignore(db_session, Handoff, rows, Handoff.id, Handoff.contact_id, Handoff.owner_id)
    router.save()
    labels = lead_labels(db_session, [cid for _, cid, _ in new])
    with pipelined(db_session):
        # On PostgreSQL the owners' update runs while the notifications are built.
        _give_owners(db_session, [(hid, cid, owner) for hid, cid, owner in new if owner])
        add_notifications(
            db_session,
            (
                notification(
                    user_id=owner,
                    kind=Kind.NEW_LEAD,
                    subject=f"New MQL in your queue: {labels[cid]}",
                    body="Routed to you. Open the handoff packet to accept or reject it.",
                    at=start,
                    contact_id=cid,
                    handoff_id=hid,
                    key=f"handoff:{hid}:assigned:{owner}:{start.isoformat()}",
                )
                for hid, cid, owner in new
                if owner is not None
            ),
        )
    return [hid for hid, _, _ in new]


def _handoff_rows(
    config: HandoffConfig,
    router: Router,
    mqls: Sequence[NewMql],
    facts: dict[int, LeadFacts],
    grades: dict[int, str | None],
    arrivals: dict[int, tuple[int | None, str, str]],
    start: dt.datetime,
    as_of: dt.datetime,
) -> Iterator[dict[str, Any]]:
    """Each MQL routed (in order: round robin is sequential) as a handoff row."""
    clocks = ClockSet(config)
    policies: dict[str | None, SlaPolicy | None] = {}
    tiers: dict[tuple[Any, ...], SlaTier | None] = {}
    for mql in mqls:
        lead = facts[mql.contact_id]
        decision = router.route(lead)
        if decision.team not in policies:
            policies[decision.team] = config.sla.policy_for_team(decision.team)
        policy = policies[decision.team]
        grade = grades.get(mql.contact_id)
        segment = lead.employee_band or router.rules.band_for(lead.employee_count)
        tier = None
        if policy is not None:
            # Leads share a few tier inputs (those of `tier_facts`): each is matched once.
            which = (policy.name, grade, segment, lead.region, lead.is_target)
            if which not in tiers:
                tiers[which] = policy.select_tier(tier_facts(router.rules, lead, grade))
            tier = tiers[which]
        campaign_id, channel, source = arrivals[mql.contact_id]
        row = {
            "contact_id": mql.contact_id,
            "mql_at": mql.at,
            "cause": mql.cause,
            "status": HandoffStatus.OPEN,
            "owner_id": config.user_id(decision.owner_id),
            "queue": decision.queue,
            "team": decision.team,
            "rule_id": decision.rule_id,
            "route_reason": decision.reason[:1000],
            "policy": policy.name if policy else None,
            "tier": tier.name if tier else None,
            "segment": segment,
            "clock_started_at": start,
            "reassignments": 0,
            "campaign_id": campaign_id,
            "channel": channel,
            "source": source,
            "created_at": as_of,
        }
        yield {**row, **initial_clocks(config, row, as_of, clocks)}


def _give_owners(db_session: Session, new: list[tuple[int, int, int]]) -> None:
    """The contacts of new handoffs (id, contact id, owner id) follow their owners. On the
    table, not the entity: the ORM's session sync would read back every id updated."""
    if is_postgres(db_session):
        # Sent in one JSON batch per 10,000, not waited for inside `pipelined`.
        update_by_id(
            db_session,
            Contact,
            [{"id": cid, "owner_id": owner} for _, cid, owner in new],
        )
    else:
        contacts = Contact.__table__
        for lo in range(0, len(new), _CHUNK):
            # One statement per chunk, no row loop.
            db_session.execute(
                update(contacts)
                .where(
                    contacts.c.id == Handoff.contact_id,
                    among(Handoff.id, [hid for hid, _, _ in new[lo : lo + _CHUNK]], db_session),
                )
                .values(owner_id=Handoff.owner_id)
            )
    _expire_owners(db_session, {cid for _, cid, _ in new})


def _expire_owners(db_session: Session, contact_ids: set[int]) -> None:
    """Contacts of the session that got an owner above read it afresh when next used."""
    for key, obj in list(db_session.identity_map.items()):
        if key[0] is Contact and key[1][0] in contact_ids:
            db_session.expire(obj, ["owner_id", "updated_at"])


def initial_clocks(
    config: HandoffConfig, row: dict, as_of: dt.datetime, clocks: ClockSet | None = None
) -> dict:
    """Deadlines to store with a new handoff, evaluated here rather than by a separate pass.
    Escalations already due (a clock started in the past) are left to the SLA pass, which
    runs next in the same tick: `next_check_at` is then `as_of`. Pass one `clocks` for a
    batch, so handoffs sharing a policy, tier and clock start are worked out once."""
    blank = {"accepted_at": None, "rejected_at": None, "first_touch_at": None}
    clocks = clocks or ClockSet(config)
    ev = clocks.settle(SimpleNamespace(**row, **blank), (), as_of)
    return {
        "accept_due_at": ev.accept_due_at,
        "first_touch_due_at": ev.first_touch_due_at,
        "next_check_at": as_of if ev.due else ev.next_check_at,
    }


def mark_mql(
    *,
    db_session: Session,
    config: HandoffConfig,
    contact_id: int,
    at: dt.datetime,
    cause: str | None = None,
    by_user_id: int | None = None,
    scores: ScoreProvider = table_scores,
) -> int | None:
    """Move a contact to MQL (logged, with its cause) and hand it off with clocks from `at`.

    Returns the new handoff id (None if this MQL moment was handed off already).
    """
    contact = db_session.get(Contact, contact_id)
    if contact is None:
        raise LookupError(f"no contact with id {contact_id}")
    move_stage(
        db_session=db_session,
        contact=contact,
        to_stage=Stage.MQL,
        at=at,
        by_user_id=by_user_id,
        cause=cause,
        reason=None if cause is None else f"became an MQL ({cause})",
    )
    # The move's StageChanged already handed it off where the session has a bus and the
    # database an approved configuration; otherwise hand it off with the one given.
    done = db_session.scalar(
        select(Handoff.id).where(Handoff.contact_id == contact_id, Handoff.mql_at == at)
    )
    if done is not None:
        return done
    ids = hand_off(
        db_session, config, [NewMql(contact_id, at, cause)], as_of=at, scores=scores, clock_start=at
    )
    return ids[0] if ids else None


CONFIG_KEY = "handoff.config"


def config_for(db_session: Session) -> HandoffConfig | None:
    """The approved handoff configuration, parsed once per bus (None when there is none yet,
    or it no longer checks out: the tick's sweep then routes the MQLs, and says why)."""
    bus = bus_of(db_session)
    cache = bus.cache.setdefault(CONFIG_KEY, ConfigCache()) if bus else ConfigCache()
    try:
        return cache.get(db_session)
    except (HandoffNotConfigured, ConfigError):
        return None


def on_stage_changed(db_session: Session, event: StageChanged) -> None:
    """The `StageChanged` handler: route each contact that became an MQL, in the mover's
    transaction (owner, SLA clocks from the MQL moment, the owner's notification)."""
    new = [c for c in event.changes if c.to_stage == Stage.MQL.value]
    if not new:
        return
    config = config_for(db_session)
    if config is None:
        return
    db_session.flush()
    by_moment: dict[dt.datetime, list[NewMql]] = {}
    for change in new:
        by_moment.setdefault(change.at, []).append(
            NewMql(change.contact_id, change.at, change.cause)
        )
    for at, mqls in by_moment.items():
        hand_off(db_session, config, mqls, as_of=at, clock_start=at)
