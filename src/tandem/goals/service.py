"""Set, list and measure goals. Keyword-only, session first, domain errors only."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.analytics.frames import Facts
from tandem.analytics.periods import Period, months_between, parse_period
from tandem.analytics.schemas import Notice
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.goals.metrics import METRICS
from tandem.goals.models import Goal
from tandem.goals.pace import pace
from tandem.goals.schemas import GoalIn, GoalRow, GoalsView, MetricInfo
from tandem.metrics import service as metrics
from tandem.metrics.engine import engine_for
from tandem.metrics.spec import Window

#: Who may set goals and quotas: the people accountable for them.
EDITORS = frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.EXECUTIVE})


class GoalError(ValueError):
    """A goal cannot be set or found; the message is for the user."""


def can_edit(user: User) -> bool:
    """Whether `user` may set goals and quotas."""
    return user.role in EDITORS


def existing_goal(*, db_session: Session, goal_in: GoalIn) -> Goal | None:
    """The goal `goal_in` would change (same team or user, metric and period), if any."""
    period = parse_period(goal_in.period)
    return db_session.scalar(
        select(Goal).where(
            Goal.metric == goal_in.metric,
            Goal.period == period.label,
            Goal.team.is_(None) if goal_in.team is None else Goal.team == goal_in.team,
            Goal.user_id.is_(None) if goal_in.user_id is None else Goal.user_id == goal_in.user_id,
        )
    )


def set_goal(*, db_session: Session, goal_in: GoalIn, by_user_id: int | None = None) -> Goal:
    """Create the goal, or change the target of the same team/user, metric and period."""
    period = parse_period(goal_in.period)
    if goal_in.user_id is not None and db_session.get(User, goal_in.user_id) is None:
        raise GoalError(f"no user with id {goal_in.user_id}")
    existing = existing_goal(db_session=db_session, goal_in=goal_in)
    goal = existing or Goal(
        team=goal_in.team,
        user_id=goal_in.user_id,
        metric=goal_in.metric,
        period=period.label,
        period_start=period.start,
        period_end=period.end,
    )
    goal.target = Decimal(str(goal_in.target))
    goal.set_by_user_id = by_user_id
    db_session.add(goal)
    db_session.flush()
    return goal


def delete_goal(*, db_session: Session, goal_id: int) -> None:
    """Remove a goal."""
    goal = db_session.get(Goal, goal_id)
    if goal is None:
        raise GoalError(f"no goal with id {goal_id}")
    db_session.delete(goal)
    db_session.flush()


def list_goals(*, db_session: Session, period: Period | None = None) -> list[Goal]:
    """Goals overlapping `period` (all when None), teams first, then by period and metric."""
    query = select(Goal)
    if period is not None:
        query = query.where(Goal.period_start < period.end, Goal.period_end > period.start)
    goals = db_session.scalars(query).all()
    return sorted(
        goals, key=lambda g: (g.user_id is not None, g.period_start, g.team or "", g.metric)
    )


def team_target(*, db_session: Session, metric: str, period: Period) -> float | None:
    """The target of the team goal on `metric` for exactly `period`, if one is set."""
    target = db_session.scalar(
        select(Goal.target).where(
            Goal.metric == metric, Goal.period == period.label, Goal.user_id.is_(None)
        )
    )
    return float(target) if target is not None else None


def monthly_targets(*, db_session: Session, metric: str, months: list[str]) -> dict[str, float]:
    """Each month's share of the team goals on `metric` covering it: a month's own goal, else
    a quarter's or a year's spread evenly over its months (a quarter goal of 300 MQLs is a
    commitment of 100 a month)."""
    out: dict[str, float] = {}
    goals = [
        g for g in list_goals(db_session=db_session) if g.metric == metric and g.user_id is None
    ]
    for label in months:
        period = parse_period(label)
        covering = [
            g for g in goals if g.period_start <= period.start and g.period_end >= period.end
        ]
        if not covering:
            continue
        # The narrowest goal covering the month speaks for it (its own month before a quarter).
        goal = min(covering, key=lambda g: (g.period_end - g.period_start).days)
        span = len(months_between(goal.period_start, goal.period_end))
        out[label] = float(goal.target) / span
    return out


def actual(
    facts: Facts, name: str, period: Period, as_of: datetime, owner: int | None = None
) -> float | None:
    """Goal metric `name`'s value over `period` read at `as_of` (a quota: `owner`'s records),
    from the metric registry."""
    at = Window(period.start, period.end, as_of)
    filters = {} if owner is None else {"owner": str(owner)}
    found = metrics.figure(engine_for(facts), METRICS[name].registry, at, filters, strict=False)
    return found.value


def measure(goal: Goal, facts: Facts, as_of: datetime, user_name: str | None = None) -> GoalRow:
    """A goal with its actual value, attainment and pace at `as_of`."""
    metric = METRICS[goal.metric]
    period = parse_period(goal.period)
    value = actual(facts, goal.metric, period, as_of, goal.user_id)
    return GoalRow(
        id=goal.id,
        team=goal.team,
        user_id=goal.user_id,
        user_name=user_name,
        metric=goal.metric,
        metric_label=metric.label,
        unit=metric.unit,
        period=goal.period,
        pace=pace(
            target=float(goal.target),
            actual=value,
            period=period,
            as_of=as_of,
            is_rate=metric.unit == "rate",
        ),
    )


def goal_owner_names(*, db_session: Session) -> dict[int, str]:
    """User names by id, to show whose quota a goal is."""
    return dict(db_session.execute(select(User.id, User.name)).all())


def goals_view(
    *, db_session: Session, facts: Facts, as_of: datetime, period: Period | None, user: User
) -> GoalsView:
    """Team goals and quotas overlapping `period`, each measured against the facts."""
    goals = list_goals(db_session=db_session, period=period)
    names = goal_owner_names(db_session=db_session)
    rows = [measure(g, facts, as_of, names.get(g.user_id) if g.user_id else None) for g in goals]
    notices = []
    if not rows:
        notices.append(
            Notice(
                message="No goals are set for this period yet."
                + (" Set one below." if can_edit(user) else " Ask a manager or admin to set them.")
            )
        )
    return GoalsView(
        as_of=as_of,
        data_as_of=facts.loaded_at,
        period=period.label if period else None,
        team_goals=[r for r in rows if r.team is not None],
        quotas=sorted((r for r in rows if r.user_id is not None), key=lambda r: r.user_name or ""),
        metrics=[
            MetricInfo(
                name=m.name, label=m.label, team=m.team, unit=m.unit, definition=m.definition
            )
            for m in METRICS.values()
        ],
        can_edit=can_edit(user),
        notices=notices,
    )
