"""Each role's home: what the person works on first, above the shared scorecard.

A rep lands on their queue (leads to answer, first touches owed), a manager on the SLA board's
summary and their team, a marketer on the funnel and campaigns, an executive (and an admin) on
the scorecard. Every figure comes from the metric registry over the scorecard's 90 days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tandem.analytics.frames import Facts
from tandem.analytics.scorecard import RECENT_DAYS
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.metrics import service as metrics
from tandem.metrics.engine import engine_for
from tandem.metrics.schemas import FigureOut
from tandem.metrics.spec import Window

#: The registry figures each role's home leads with, in order.
ROLE_FIGURES: dict[str, tuple[str, ...]] = {
    Role.SALES_REP: ("handed_off", "acceptance_rate", "accept_sla", "first_touch_sla"),
    Role.SALES_MANAGER: (
        "handed_off",
        "acceptance_rate",
        "accept_sla",
        "first_touch_sla",
        "rejections_with_reason",
    ),
    Role.MARKETER: (
        "reached_mql",
        "conversion_lead_to_mql",
        "conversion_mql_to_sal",
        "conversion_mql_to_sql",
        "pipeline_sourced",
    ),
}
HEADINGS = {
    Role.SALES_REP: "Your work",
    Role.SALES_MANAGER: "Your team",
    Role.MARKETER: "Funnel and campaigns",
}
#: Campaigns the marketer's home lists (most MQLs first).
TOP_CAMPAIGNS = 8


@dataclass(frozen=True)
class CampaignLine:
    """One campaign's MQLs and sourced pipeline over the window, from the registry."""

    name: str
    mqls: int
    pipeline: float | None


@dataclass
class RoleHome:
    """The role's section of the home page (`work` is the queue or the board, when set up)."""

    role: str
    heading: str | None
    figures: list[FigureOut] = field(default_factory=list)
    work: Any = None
    campaigns: list[CampaignLine] = field(default_factory=list)
    note: str | None = None


def window(as_of: dt.datetime) -> Window:
    """The scorecard's window: the last 90 days, today included."""
    last = as_of.date()
    return Window(last - dt.timedelta(days=RECENT_DAYS - 1), last + dt.timedelta(1), as_of)


def campaigns(facts: Facts, at: Window) -> list[CampaignLine]:
    """Campaigns by MQLs reached in the window, with the pipeline they sourced."""
    engine = engine_for(facts)
    mqls = metrics.figure(engine, "reached_mql", at, by="campaign", strict=False)
    pipeline = metrics.figure(engine, "pipeline_sourced", at, by="campaign", strict=False)
    sourced = {p.value: p.figure for p in pipeline.breakdown}
    lines = [
        CampaignLine(name=p.value, mqls=p.rows, pipeline=sourced.get(p.value))
        for p in mqls.breakdown
        if p.value != "unknown"
    ]
    return sorted(lines, key=lambda c: (-c.mqls, c.name))[:TOP_CAMPAIGNS]


def role_home(
    *,
    db_session: Session,
    facts: Facts,
    user: User,
    as_of: dt.datetime,
    config: Any = None,
    config_error: str | None = None,
    scores: Any = None,
) -> RoleHome:
    """The section of `user`'s role; `config` is the handoff configuration (None with
    `config_error` saying why when the handoff is not set up), `scores` its score provider."""
    role = Role(user.role)
    at = window(as_of)
    names = ROLE_FIGURES.get(role, ())
    found = metrics.figures(engine_for(facts), names, at) if names else {}
    home = RoleHome(
        role=role.value,
        heading=HEADINGS.get(role),
        figures=[FigureOut.of(found[n]) for n in names],
    )
    if role is Role.MARKETER:
        home.campaigns = campaigns(facts, at)
    elif role in (Role.SALES_REP, Role.SALES_MANAGER):
        if config is None:
            home.note = config_error
            return home
        from tandem.handoff import queue, service

        build = queue.rep_queue if role is Role.SALES_REP else queue.sla_board
        try:
            home.work = build(
                db_session=db_session, config=config, user=user, as_of=as_of, scores=scores
            )
        except service.HandoffError as exc:  # e.g. a manager of no team yet
            home.note = str(exc)
    return home
