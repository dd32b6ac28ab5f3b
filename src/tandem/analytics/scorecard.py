"""The home scorecard: registry figures and store counts, one view-model for HTML and JSON."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.activities.models import Activity
from tandem.analytics.frames import Facts
from tandem.lifecycle.stages import FUNNEL, Stage
from tandem.metrics import service as metrics
from tandem.metrics.engine import engine_for
from tandem.metrics.schemas import FigureOut
from tandem.metrics.spec import Window


class StageCount(BaseModel):
    """Contacts currently in one stage."""

    stage: str
    contacts: int


class Scorecard(BaseModel):
    """Headline numbers both teams see on the home page, the figures from the registry."""

    as_of: datetime
    window_start: date
    window_last: date
    contacts: int
    accounts: int
    target_accounts: int
    activities_30d: int
    stages: list[StageCount]
    open_pipeline: Decimal
    open_opportunities: int
    won_revenue_90d: Decimal
    won_deals_90d: int
    win_rate_90d: float | None
    figures: list[FigureOut]


#: The home page's recent figures cover the last 90 days, today included.
RECENT_DAYS = 90
#: The figures the home page shows, in order.
HOME_FIGURES = ("open_pipeline", "open_deals", "revenue_won", "deals_won", "win_rate")


def build_scorecard(*, db_session: Session, facts: Facts, as_of: datetime) -> Scorecard:
    """Contacts by stage, pipeline and recent wins from the registry; store counts of
    accounts and activity volume as of `as_of`."""
    engine = engine_for(facts)
    recent = Window(
        as_of.date() - timedelta(days=RECENT_DAYS - 1), as_of.date() + timedelta(1), as_of
    )
    found = metrics.figures(engine, HOME_FIGURES, recent)
    in_stage = metrics.figure(engine, "contacts_in_stage", recent, by="stage")
    by_stage = {p.value: p.rows for p in in_stage.breakdown}
    order = [*FUNNEL, Stage.NURTURE, Stage.DISQUALIFIED]
    won = found["win_rate"]
    return Scorecard(
        as_of=as_of,
        window_start=recent.start,
        window_last=recent.last,
        contacts=in_stage.rows,
        accounts=db_session.scalar(select(func.count()).select_from(Account)) or 0,
        target_accounts=db_session.scalar(
            select(func.count()).select_from(Account).where(Account.is_target.is_(True))
        )
        or 0,
        activities_30d=db_session.scalar(
            select(func.count())
            .select_from(Activity)
            .where(Activity.occurred_at >= as_of - timedelta(days=30))
        )
        or 0,
        stages=[StageCount(stage=s.value, contacts=by_stage.get(s.value, 0)) for s in order],
        open_pipeline=Decimal(str(found["open_pipeline"].value or 0)),
        open_opportunities=found["open_deals"].rows,
        won_revenue_90d=Decimal(str(found["revenue_won"].value or 0)),
        won_deals_90d=found["deals_won"].rows,
        win_rate_90d=won.value,
        figures=[FigureOut.of(found[n]) for n in HOME_FIGURES],
    )
