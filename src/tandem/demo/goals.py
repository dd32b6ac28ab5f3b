"""The demo's goals: team targets and rep quotas for this quarter and the three before it, set
a tenth above the demo's own average quarter so attainment reads like a real quarter's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.analytics.periods import Period, quarter
from tandem.goals.schemas import GoalIn
from tandem.goals.service import set_goal
from tandem.lifecycle.models import StageTransition
from tandem.opportunities.models import Opportunity

STRETCH = 1.1  # targets a tenth above the run rate


def _quarters(today: date, count: int) -> list[Period]:
    """This quarter and the `count - 1` before it, oldest first."""
    index = today.year * 4 + (today.month - 1) // 3
    return [quarter(i // 4, i % 4 + 1) for i in range(index - count + 1, index + 1)]


def _bounds(period: Period) -> tuple[datetime, datetime]:
    return (
        datetime.combine(period.start, time(), UTC),
        datetime.combine(period.end, time(), UTC),
    )


def _won(db: Session, period: Period) -> float:
    start, end = _bounds(period)
    total = db.scalar(
        select(func.sum(Opportunity.amount)).where(
            Opportunity.is_won, Opportunity.closed_at >= start, Opportunity.closed_at < end
        )
    )
    return float(total or 0)


def _mqls(db: Session, period: Period) -> int:
    start, end = _bounds(period)
    return db.scalar(
        select(func.count(func.distinct(StageTransition.contact_id))).where(
            StageTransition.to_stage == "mql",
            StageTransition.occurred_at >= start,
            StageTransition.occurred_at < end,
        )
    )


def setup_goals(db: Session, *, now: datetime, rep_ids: list[int], by_user_id: int) -> int:
    """Set the demo's goals (revenue, bookings, MQLs; a bookings quota per rep); returns how
    many were set. Targets come from the average of the three finished quarters."""
    periods = _quarters(now.date(), 4)
    finished = periods[:-1]
    revenue = sum(_won(db, p) for p in finished) / len(finished)
    mqls = sum(_mqls(db, p) for p in finished) / len(finished)
    money = round(revenue * STRETCH, -3)
    goals = []
    for period in periods:
        goals += [
            GoalIn(team="shared", metric="revenue", period=period.label, target=money),
            GoalIn(team="sales", metric="bookings", period=period.label, target=money),
            GoalIn(
                team="marketing", metric="mqls", period=period.label, target=round(mqls * STRETCH)
            ),
        ]
        goals += [
            GoalIn(
                user_id=rep,
                metric="bookings",
                period=period.label,
                target=round(money / len(rep_ids), -3),
            )
            for rep in rep_ids
        ]
    for goal in goals:
        set_goal(db_session=db, goal_in=goal, by_user_id=by_user_id)
    return len(goals)
