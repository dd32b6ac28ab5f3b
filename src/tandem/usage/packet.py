"""The lead packet's product-usage panel (`Capability.packet_sections`): whether the lead is a
PQL (which rule version matched, on which plan, the totals that met each bar) and the lead's
own recent product usage."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.handoff.schemas import PacketItem, PacketSection
from tandem.usage.models import PqlMatch, UserUsageFact

RECENT_DAYS = 28


def pql_lines(db_session: Session, contact_id: int) -> list[PacketItem]:
    """One line per PQL rule version the contact matched, newest first, with its evidence."""
    found = db_session.scalars(
        select(PqlMatch).where(PqlMatch.contact_id == contact_id).order_by(PqlMatch.id.desc())
    ).all()
    return [
        PacketItem(
            label=f"PQL (rule v{m.rule_version}{', made an MQL' if m.became_mql else ''})",
            detail=f"{m.plan} plan, matched on {m.matched_on}: "
            + ", ".join(f"{k} {v:g}" for k, v in m.evidence.items()),
        )
        for m in found
    ]


def pql_panel(
    *, db_session: Session, facts: Callable[[], Any], contact_id: int, as_of: datetime
) -> PacketSection:
    """The lead's PQL matches, then each product metric's total over the last 28 days."""
    since = as_of.date() - timedelta(days=RECENT_DAYS)
    totals = db_session.execute(
        select(UserUsageFact.metric, func.sum(UserUsageFact.value))
        .where(UserUsageFact.contact_id == contact_id, UserUsageFact.period_start > since)
        .group_by(UserUsageFact.metric)
        .order_by(UserUsageFact.metric)
    ).all()
    usage = [
        PacketItem(label=metric, detail=f"{total:g} in the last {RECENT_DAYS} days")
        for metric, total in totals
    ]
    return PacketSection(
        id="product-usage",
        title="Product usage",
        items=pql_lines(db_session, contact_id) + usage,
        empty="No product usage recorded for this lead.",
    )
