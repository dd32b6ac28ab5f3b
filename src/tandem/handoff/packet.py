"""The handoff packet: why the lead scored, what it read, how it arrived, what it did lately,
who else is on the buying committee, open deals, and a suggested next step.

One view-model feeds the packet page, its JSON twin and the notification email (`packet_text`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts import service as accounts
from tandem.activities import types as activity_types
from tandem.activities.models import Activity
from tandem.auth.visibility import Visibility
from tandem.campaigns.models import Campaign
from tandem.capabilities import packet_sections
from tandem.contacts import service as contacts
from tandem.contacts.schemas import TimelineEntry
from tandem.content.models import Asset
from tandem.handoff.clocks import evaluate
from tandem.handoff.models import Handoff, HandoffStatus
from tandem.handoff.next_step import StepFacts, suggest_next_step
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.schemas import (
    HandoffRead,
    NextStep,
    PacketView,
    ReasonView,
    SlaView,
    StageStay,
)
from tandem.handoff.scores import ScoreProvider, table_scores
from tandem.lifecycle.service import stage_history

RECENT_ACTIVITY = 15
SCORE_NOT_AVAILABLE = "score not available"


def recent_activity(
    db_session: Session, contact_id: int, limit: int = RECENT_ACTIVITY
) -> list[TimelineEntry]:
    """The contact's newest activities, newest first, with campaign and asset names."""
    rows = db_session.execute(
        select(Activity, Campaign.name, Asset.title, Asset.journey_stage)
        .outerjoin(Campaign, Activity.campaign_id == Campaign.id)
        .outerjoin(Asset, Activity.asset_id == Asset.id)
        .where(Activity.contact_id == contact_id)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(limit)
    ).all()
    out = []
    for a, campaign, asset, asset_stage in rows:
        kind = activity_types.get(a.type) if activity_types.is_known(a.type) else None
        out.append(
            TimelineEntry(
                id=a.id,
                type=a.type,
                label=kind.label if kind else a.type,
                team=kind.team.value if kind else "unknown",
                occurred_at=a.occurred_at,
                channel=a.channel,
                campaign=campaign,
                asset=asset,
                asset_stage=asset_stage,
                url=a.url,
            )
        )
    return out


def latest_handoff(db_session: Session, contact_id: int) -> Handoff | None:
    """The contact's most recent handoff, whatever its status."""
    return db_session.scalar(
        select(Handoff)
        .where(Handoff.contact_id == contact_id)
        .order_by(Handoff.mql_at.desc(), Handoff.id.desc())
        .limit(1)
    )


def build_packet(
    *,
    db_session: Session,
    config: HandoffConfig,
    contact_id: int,
    as_of: dt.datetime,
    scores: ScoreProvider = table_scores,
    visible_to: Visibility = None,
) -> PacketView:
    """The packet of one contact (raises contacts.ContactNotFound); the committee and deals
    hold only what `visible_to` may open."""
    c = contacts.contact_detail(db_session=db_session, contact_id=contact_id, visible_to=visible_to)
    account = (
        accounts.account_detail(
            db_session=db_session, account_id=c.account_id, visible_to=visible_to
        )
        if c.account_id
        else None
    )
    committee = account.committee if account else []
    deals = account.opportunities if account else c.opportunities
    open_deals = [o for o in deals if not o.is_closed]
    handoff = latest_handoff(db_session, contact_id)
    # A closed handoff's clocks stopped when the contact left the stage some other way.
    live = handoff is not None and handoff.status != HandoffStatus.CLOSED
    status = evaluate(config, handoff, (), as_of).status if live else None
    score = scores(db_session, [contact_id]).get(contact_id)
    recent = recent_activity(db_session, contact_id)
    step = suggest_next_step(
        StepFacts(
            as_of=as_of,
            activity=tuple((e.type, e.occurred_at, e.url) for e in recent),
            content_stages=tuple(a.journey_stage for a in c.content),
            last_asset=c.content[-1].title if c.content else None,
            open_opportunities=tuple(o.name for o in open_deals),
            roles_covered=tuple(account.roles_covered) if account else (),
            account_name=c.account_name,
            campaign=c.first_arrival.campaign,
        )
    )
    spans = stage_history(db_session=db_session, contact_id=contact_id, as_of=as_of)
    return PacketView(
        as_of=as_of,
        contact_id=c.id,
        full_name=c.full_name,
        email=c.email,
        title=c.title,
        lifecycle_stage=c.lifecycle_stage,
        account_id=c.account_id,
        account_name=c.account_name,
        owner_name=c.owner_name,
        handoff=HandoffRead.model_validate(handoff) if handoff else None,
        sla=SlaView.of(status) if status else None,
        score=score,
        score_note=None if score else SCORE_NOT_AVAILABLE,
        first_arrival=c.first_arrival,
        content=c.content,
        recent_activity=recent,
        committee=committee,
        open_opportunities=open_deals,
        stages=[
            StageStay(
                stage=s.stage,
                entered_at=s.entered_at,
                exited_at=s.exited_at,
                hours=round(s.duration.total_seconds() / 3600, 1),
            )
            for s in spans
        ],
        next_step=NextStep(action=step.action, why=list(step.why)),
        reject_reasons=[
            ReasonView(code=r.code, label=r.label, outcome=r.outcome) for r in config.reject_reasons
        ],
    )


def with_sections(
    packet: PacketView, *, db_session: Session, facts: Callable[[], Any], as_of: dt.datetime
) -> PacketView:
    """`packet` with the panels other capabilities add (`Capability.packet_sections`);
    `facts` gives the columnar copy to the panels that read it."""
    sections = [
        build(db_session=db_session, facts=facts, contact_id=packet.contact_id, as_of=as_of)
        for build in packet_sections()
    ]
    return packet.model_copy(update={"sections": [s for s in sections if s is not None]})


def packet_text(packet: PacketView, link: str | None = None) -> str:
    """The packet as plain text, for the notification email."""
    p, lines = packet, []
    who = p.full_name + (f", {p.title}" if p.title else "") + (
        f" at {p.account_name}" if p.account_name else ""
    )  # fmt: skip
    lines += [who, p.email, ""]
    if p.sla:
        lines.append(f"SLA ({p.sla.policy}, tier {p.sla.tier}):")
        for clock in (p.sla.accept, p.sla.first_touch):
            if clock:
                lines.append(
                    f"  {clock.name.replace('_', ' ')}: {clock.status.replace('_', ' ')}, "
                    f"due {clock.deadline:%Y-%m-%d %H:%M} UTC"
                )
    lines += ["", f"Next step: {p.next_step.action}"]
    lines += [f"  because: {w}" for w in p.next_step.why]
    lines += ["", "Why it scored:"]
    if p.score:
        grade = f", grade {p.score.grade}" if p.score.grade else ""
        version = f" (model {p.score.model_version})" if p.score.model_version else ""
        lines.append(f"  score {p.score.total:g}{grade}{version}")
        lines += [f"  {part.points:+g}  {part.rule_id}" for part in p.score.parts]
    else:
        lines.append(f"  {p.score_note}")
    a = p.first_arrival
    lines += [
        "",
        "How they first arrived:",
        f"  source {a.source or '-'} / {a.medium or '-'}, campaign {a.campaign or '-'}, "
        f"landing page {a.landing_page or '-'}",
        "",
        "Content consumed:",
    ]
    lines += [f"  {c.title} ({c.journey_stage}), {c.times}x" for c in p.content] or ["  none"]
    lines += ["", "Recent activity:"]
    lines += [
        f"  {e.occurred_at:%Y-%m-%d %H:%M} {e.label}"
        + (f": {e.asset}" if e.asset else "")
        + (f" [{e.campaign}]" if e.campaign else "")
        for e in p.recent_activity
    ] or ["  none"]
    lines += ["", "Buying committee:"]
    lines += [
        f"  {g.label}: " + ", ".join(m.full_name for m in g.contacts) for g in p.committee
    ] or ["  nobody else known"]
    lines += ["", "Open opportunities:"]
    lines += [
        f"  {o.name} ({o.stage}, "
        + ("amount unknown" if o.amount is None else f"{float(o.amount):,.0f} {o.currency}")
        + ")"
        for o in p.open_opportunities
    ] or ["  none"]
    if link:
        lines += ["", f"Accept or reject: {link}"]
    return "\n".join(lines) + "\n"
