"""The weekly review's customers section: retention, health bands, new signals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.analytics.charts import Panel, Table, fmt
from tandem.usage import service, views
from tandem.usage.models import UsageSignal

#: Retention in the review is over the trailing quarter.
WINDOW_DAYS = 90


def sections(*, db_session: Session, facts: Any, week: Any, as_of: datetime) -> list[Panel]:
    """One panel: the customer figures at the week's end and the signals raised in the week
    (none in a workspace without customers' usage, entitlements or subscriptions)."""
    end = min(as_of, week.end_at)
    if service.customers_frame(db_session).is_empty():
        return []  # a workspace that sells no subscriptions: nothing to review
    vm = views.customers_view(db_session, as_of=end, days=WINDOW_DAYS, facts=facts)
    raised = db_session.execute(
        select(UsageSignal.kind, func.count())
        .where(UsageSignal.raised_at >= end - timedelta(days=7), UsageSignal.raised_at < end)
        .group_by(UsageSignal.kind)
        .order_by(UsageSignal.kind)
    ).all()
    rows = [[t.label, fmt(t.value, t.unit)] for t in vm.tiles]  # type: ignore[arg-type]
    rows += [[f"New {kind.replace('_', ' ')} signals in the week", f"{n:,}"] for kind, n in raised]
    shown = Table(columns=["Figure", "Value"], rows=rows, numeric=[False, True])
    title = f"Customers: retention over {WINDOW_DAYS} days, health and usage signals"
    return [Panel(title=title, table=shown)]
