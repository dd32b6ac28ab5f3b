"""The pipeline board: deals by stage, the columns' totals in the workspace currency.

Open deals are all shown (up to `PER_COLUMN` a column, the rest counted); closed columns show
deals closed in the last `CLOSED_DAYS` days. A total adds only deals in the workspace currency
with a known amount, and says how many it left out: no figure is converted or made up.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth import visibility
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.auth.visibility import Visibility
from tandem.bounds import read_money
from tandem.lifecycle.deal_moves import CLOSED, needs_reason
from tandem.opportunities.models import Opportunity
from tandem.opportunities.stages import LOST_REASONS, DealStage

PER_COLUMN = 100
CLOSED_DAYS = 90
#: Who may move deals on the board (and edit deals): not marketers, not executives.
MOVERS = frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.SALES_REP})


class Card(BaseModel):
    """One deal on the board."""

    id: int
    name: str
    account_id: int | None
    account: str | None
    amount: Decimal | None
    currency: str
    owner: str | None
    version: int
    expected_close_on: dt.date | None


class Column(BaseModel):
    """One stage's deals."""

    stage: str
    label: str
    cards: list[Card]
    count: int  # every deal in the stage the viewer may see, shown or not
    total: Decimal  # amounts in the workspace currency
    left_out: int  # deals not in `total`: unknown amount or another currency
    closed: bool
    reason_from_open: bool  # moving an open deal here asks for a reason


class Board(BaseModel):
    """The board as the page and the API show it."""

    currency: str
    columns: list[Column]
    may_move: bool
    lost_reasons: list[str]


def _label(stage: DealStage) -> str:
    return stage.value.replace("_", " ").capitalize()


def board(
    *, db_session: Session, viewer: User, visible_to: Visibility, currency: str, as_of: dt.datetime
) -> Board:
    """The board for `viewer` (a rep sees the deals they may open)."""
    since = as_of - dt.timedelta(days=CLOSED_DAYS)
    shown = [
        visibility.opportunities(visible_to),
        or_(Opportunity.is_closed.is_(False), Opportunity.closed_at >= since),
    ]
    in_currency = Opportunity.currency == currency
    # One pass for every column's count and total; the cards read an index range each.
    sums = {
        stage: (count, total, counted)
        for stage, count, total, counted in db_session.execute(
            select(
                Opportunity.stage,
                func.count(),
                func.coalesce(func.sum(read_money(Opportunity.amount)).filter(in_currency), 0),
                func.count(Opportunity.amount).filter(in_currency),
            )
            .where(*shown)
            .group_by(Opportunity.stage)
        )
    }
    columns = []
    for stage in DealStage:
        count, total, counted = sums.get(stage.value, (0, 0, 0))
        rows = db_session.execute(
            select(Opportunity, Account.name, User.name)
            .outerjoin(Account, Account.id == Opportunity.account_id)
            .outerjoin(User, User.id == Opportunity.owner_id)
            .where(*shown, Opportunity.stage == stage.value)
            .order_by(Opportunity.expected_close_on, Opportunity.id)
            .limit(PER_COLUMN)
        ).all()
        cards = [
            Card(
                id=o.id,
                name=o.name,
                account_id=o.account_id,
                account=account,
                amount=o.amount,
                currency=o.currency,
                owner=owner,
                version=o.version,
                expected_close_on=o.expected_close_on,
            )
            for o, account, owner in rows
        ]
        columns.append(
            Column(
                stage=stage.value,
                label=_label(stage),
                cards=cards,
                count=count,
                total=Decimal(str(round(total, 2))),
                left_out=count - counted,
                closed=stage in CLOSED,
                reason_from_open=needs_reason(DealStage.DISCOVERY.value, stage),
            )
        )
    return Board(
        currency=currency,
        columns=columns,
        may_move=viewer.role in MOVERS,
        lost_reasons=list(LOST_REASONS),
    )
