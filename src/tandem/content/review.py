"""The weekly review's content section: what sales shared, what buyers read, the largest gap.

The counts are the registry's `content_shares` and `content_views` over the review's week
(broken down by rep and by asset), so the review and `tandem metrics show` agree.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.analytics.charts import Chart, Panel, Series, Table
from tandem.analytics.frames import Facts
from tandem.analytics.periods import Period
from tandem.auth.models import User
from tandem.content import analytics_service
from tandem.content.models import Asset
from tandem.metrics import service as metrics
from tandem.metrics.engine import engine_for
from tandem.metrics.spec import Window

#: Assets and reps listed.
TOP = 8


def sections(*, db_session: Session, facts: Facts, week: Period, as_of: datetime) -> list[Panel]:
    """The content panels of the weekly review."""
    engine = engine_for(facts)
    at = Window(week.start, week.end, as_of)
    shares = metrics.figure(engine, "content_shares", at, by="rep")
    views = metrics.figure(engine, "content_views", at, by="asset")
    return [
        _shared(db_session, shares),
        _viewed(db_session, views),
        _largest_gap(db_session, facts, as_of),
    ]


def _top(parts) -> list:
    return sorted((p for p in parts if p.figure), key=lambda p: (-p.figure, p.value))[:TOP]


def _shared(db_session: Session, figure) -> Panel:
    parts = _top(figure.breakdown)
    ids = [int(p.value) for p in parts if p.value.isdigit()]
    names = dict(db_session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    label = [names.get(int(p.value), p.value) if p.value.isdigit() else p.value for p in parts]
    if not parts:
        return Panel(title="Content shared by sales", empty="No rep shared content this week.")
    return Panel(
        title=f"Content shared by sales ({figure.value:,.0f} links)",
        chart=Chart(
            id="content-shares",
            title="Tracked links sent, by rep",
            kind="hbar",
            categories=label,
            series=[Series(name="Shares", values=[p.figure for p in parts])],
        ),
    )


def _viewed(db_session: Session, figure) -> Panel:
    parts = _top(figure.breakdown)
    ids = [int(p.value) for p in parts if p.value.isdigit()]
    titles = dict(db_session.execute(select(Asset.id, Asset.title).where(Asset.id.in_(ids))).all())
    if not parts:
        return Panel(
            title="Top assets by buyer views", empty="No buyer consumed content this week."
        )
    return Panel(
        title=f"Top assets by buyer views ({figure.value:,.0f} views)",
        table=Table(
            columns=["Asset", "Buyer views"],
            rows=[
                [
                    titles.get(int(p.value), p.value) if p.value.isdigit() else p.value,
                    f"{p.figure:,.0f}",
                ]
                for p in parts
            ],
            numeric=[False, True],
        ),
    )


def _largest_gap(db_session: Session, facts: Facts, as_of: datetime) -> Panel:
    report = analytics_service.gaps_report(db_session, facts=facts, as_of=as_of)
    costly = [c for c in report.cells if c.cost > 0]
    if not costly:
        return Panel(
            title="Largest content gap", empty="No stage lacks content where buyers stall."
        )
    return Panel(
        title="Largest content gap",
        table=Table(
            columns=[
                "Stage",
                "Persona",
                "Live assets",
                "Rating",
                "Stalled contacts",
                "Stalled deals",
            ],
            rows=[
                [
                    c.journey_stage,
                    c.persona,
                    str(c.live_assets),
                    c.rating,
                    f"{c.stalled_contacts:,}",
                    f"{c.stalled_deals:,}",
                ]
                for c in costly[:3]
            ],
            numeric=[False, False, True, False, True, True],
        ),
    )
