"""`tandem goals ...`: set and list team goals and individual quotas."""

import typer
from rich.table import Table

from tandem.analytics.cache import FactsCache
from tandem.analytics.periods import PeriodError, parse_period
from tandem.analytics.store import facts_store
from tandem.auth import service as auth
from tandem.cli.context import console, db_session, fail, settings
from tandem.db import utcnow
from tandem.goals import service
from tandem.goals.metrics import METRICS, TEAMS
from tandem.goals.schemas import GoalIn

app = typer.Typer(help="Team goals and individual quotas.", no_args_is_help=True)


@app.command("set")
def set_goal(
    metric: str = typer.Option(..., help=f"One of: {', '.join(METRICS)}."),
    period: str = typer.Option(..., help="2026-Q4, 2026-11, 2026-W47 or 2026."),
    target: float = typer.Option(..., min=0, help="Count, amount, or a rate such as 0.25."),
    team: str | None = typer.Option(None, help=f"A team goal: {', '.join(TEAMS)}."),
    user: str | None = typer.Option(None, help="A quota: the person's email."),
) -> None:
    """Set a team goal or a quota; the same owner, metric and period again changes it."""
    with db_session() as db:
        user_id = None
        if user is not None:
            found = auth.get_by_email(db_session=db, email=user)
            if found is None:
                raise fail(f"no user with email {user!r}")
            user_id = found.id
        try:
            goal_in = GoalIn(
                team=team, user_id=user_id, metric=metric, period=period, target=target
            )
            goal = service.set_goal(db_session=db, goal_in=goal_in)
        except (ValueError, service.GoalError) as exc:
            message = str(exc).splitlines()[-1] if "validation error" in str(exc) else str(exc)
            raise fail(message.removeprefix("  Value error, ")) from None
        console.print(f"goal {goal.id}: {goal.metric} {goal.period} = {target:g}")


@app.command("list")
def list_goals(period: str | None = typer.Option(None, help="Only goals overlapping it.")) -> None:
    """Goals and quotas with attainment and the pace needed, as of now."""
    try:
        parsed = parse_period(period) if period else None
    except PeriodError as exc:
        raise fail(str(exc)) from None
    current = settings()
    with db_session() as db:
        cache = FactsCache(refresh_seconds=0, background=False, store=facts_store(current))
        facts = cache.get(db)
        names = service.goal_owner_names(db_session=db)
        table = Table("id", "for", "metric", "period", "target", "actual", "attainment", "status")
        for goal in service.list_goals(db_session=db, period=parsed):
            row = service.measure(goal, facts, utcnow())
            p = row.pace
            table.add_row(
                str(goal.id),
                goal.team or names.get(goal.user_id or 0, "?"),
                row.metric_label,
                goal.period,
                _amount(p.target, row.unit),
                "–" if p.actual is None else _amount(p.actual, row.unit),
                "–" if p.attainment is None else f"{100 * p.attainment:.0f}%",
                p.status,
            )
        console.print(table)


def _amount(value: float, unit: str) -> str:
    """Whole counts and amounts with thousands separators; rates as they were given."""
    return f"{value:.4g}" if unit == "rate" else f"{value:,.0f}"


@app.command("remove")
def remove(goal_id: int) -> None:
    """Delete a goal or quota."""
    with db_session() as db:
        try:
            service.delete_goal(db_session=db, goal_id=goal_id)
        except service.GoalError as exc:
            raise fail(str(exc)) from None
    console.print(f"goal {goal_id} removed")
