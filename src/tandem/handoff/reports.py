"""What marketing sees of the handoff: reject reasons by campaign, channel and source, and
attainment of its MQL volume commitments."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.handoff.commitments import CommitmentRow, MqlEvent, commitment_attainment
from tandem.handoff.models import Handoff, Subject
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.schemas import HandoffRead, ReasonView, RejectReport, RejectRow
from tandem.lifecycle.models import StageTransition
from tandem.lifecycle.stages import Stage

Dimension = Literal["campaign", "channel", "source"]
DIMENSIONS: tuple[Dimension, ...] = ("campaign", "channel", "source")
UNKNOWN = "(unknown)"


def reject_report(
    *,
    db_session: Session,
    config: HandoffConfig,
    as_of: dt.datetime,
    by: Dimension = "campaign",
    days: int = 90,
) -> RejectReport:
    """Per campaign, channel or source: MQLs handed off in the window, accepted, rejected and
    the reject reasons, worst reject rate first; plus the latest rejections with comments."""
    key = {"campaign": Campaign.name, "channel": Handoff.channel, "source": Handoff.source}[by]
    since = as_of - dt.timedelta(days=days)
    rows = db_session.execute(
        select(key, Handoff.accepted_at, Handoff.rejected_at, Handoff.reject_code)
        .outerjoin(Campaign, Handoff.campaign_id == Campaign.id)
        .where(
            Handoff.subject == Subject.LEAD,
            Handoff.created_at >= since,
            Handoff.created_at <= as_of,
        )
    ).all()
    handed: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for value, accepted_at, rejected_at, code in rows:
        name = value or UNKNOWN
        handed[name] += 1
        if accepted_at is not None:
            accepted[name] += 1
        if rejected_at is not None and code:
            reasons[name][code] += 1
    out = []
    for name, n in handed.items():
        rejected = sum(reasons[name].values())
        decided = rejected + accepted[name]
        out.append(
            RejectRow(
                key=name,
                handed_off=n,
                accepted=accepted[name],
                rejected=rejected,
                reject_rate_pct=round(100 * rejected / decided, 1) if decided else None,
                by_reason=dict(reasons[name]),
            )
        )
    out.sort(key=lambda r: (-(r.reject_rate_pct or 0), -r.handed_off, r.key))
    recent = db_session.scalars(
        select(Handoff)
        .where(
            Handoff.subject == Subject.LEAD,
            Handoff.rejected_at.is_not(None),
            Handoff.rejected_at >= since,
        )
        .order_by(Handoff.rejected_at.desc())
        .limit(20)
    ).all()
    return RejectReport(
        as_of=as_of,
        by=by,
        days=days,
        reasons=[
            ReasonView(code=r.code, label=r.label, outcome=r.outcome) for r in config.reject_reasons
        ],
        rows=out,
        recent=[HandoffRead.model_validate(h) for h in recent],
    )


def mql_events(
    db_session: Session, config: HandoffConfig, since: dt.datetime, until: dt.datetime
) -> list[MqlEvent]:
    """Every move to MQL in the window, with the contact's segment (its employee band)."""
    rows = db_session.execute(
        select(
            StageTransition.contact_id,
            StageTransition.occurred_at,
            Account.employee_band,
            Account.employees,
        )
        .join(Contact, StageTransition.contact_id == Contact.id)
        .outerjoin(Account, Contact.account_id == Account.id)
        .where(
            StageTransition.to_stage == Stage.MQL.value,
            StageTransition.occurred_at >= since,
            StageTransition.occurred_at <= until,
        )
    ).all()
    return [
        MqlEvent(contact_id=str(cid), at=at, segment=band or config.rules.band_for(employees))
        for cid, at, band, employees in rows
    ]


def commitments(
    *, db_session: Session, config: HandoffConfig, as_of: dt.datetime
) -> list[CommitmentRow]:
    """Attainment of each MQL commitment in the SLA file (months in UTC)."""
    months = [c.month for c in config.sla.mql_commitments]
    if not months:
        return []
    first, last = min(months), max(months)
    since = dt.datetime.strptime(first, "%Y-%m").replace(tzinfo=dt.UTC) - dt.timedelta(days=1)
    until = dt.datetime.strptime(last, "%Y-%m").replace(tzinfo=dt.UTC) + dt.timedelta(days=32)
    events = mql_events(db_session, config, since, min(until, as_of))
    return commitment_attainment(config.sla.mql_commitments, events, as_of)
