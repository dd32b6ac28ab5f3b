"""The home scorecard: real counts from the store, one view-model for HTML and JSON."""

from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.activities.models import Activity
from tandem.bounds import MONEY_MAX, clamp
from tandem.contacts.models import Contact
from tandem.lifecycle.stages import FUNNEL, Stage
from tandem.opportunities.models import Opportunity


class StageCount(BaseModel):
    """Contacts currently in one stage."""

    stage: str
    contacts: int


class Scorecard(BaseModel):
    """Headline numbers both teams see on the home page."""

    as_of: datetime
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


# Clamped: one absurd stored amount must not make the sum infinite (tandem.bounds).
_AMOUNT = clamp(Opportunity.amount, MONEY_MAX)


def build_scorecard(*, db_session: Session, as_of: datetime) -> Scorecard:
    """Count contacts by stage, pipeline, recent wins and activity volume as of `as_of`."""
    by_stage = dict(
        db_session.execute(
            select(Contact.lifecycle_stage, func.count()).group_by(Contact.lifecycle_stage)
        ).all()
    )
    order = [*FUNNEL, Stage.NURTURE, Stage.DISQUALIFIED]
    since_90 = as_of - timedelta(days=90)
    open_sum, open_n = db_session.execute(
        select(func.coalesce(func.sum(_AMOUNT), 0), func.count()).where(
            Opportunity.is_closed.is_(False)
        )
    ).one()
    closed = db_session.execute(
        select(Opportunity.is_won, func.count(), func.coalesce(func.sum(_AMOUNT), 0))
        .where(Opportunity.is_closed.is_(True), Opportunity.closed_at >= since_90)
        .group_by(Opportunity.is_won)
    ).all()
    won = next(((n, s) for w, n, s in closed if w), (0, 0))
    closed_n = sum(n for _, n, _ in closed)
    return Scorecard(
        as_of=as_of,
        contacts=sum(by_stage.values()),
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
        open_pipeline=Decimal(open_sum),
        open_opportunities=open_n,
        won_revenue_90d=Decimal(won[1]),
        won_deals_90d=won[0],
        win_rate_90d=(won[0] / closed_n) if closed_n else None,
    )
