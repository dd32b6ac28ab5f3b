"""The accounts section of the weekly review: target accounts per tier and stage at the
week's end (from the daily snapshots), accounts that became MQAs in the week, and coverage."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.accounts import definitions
from tandem.accounts.models import AccountScore, AccountStageSnapshot
from tandem.analytics.charts import Panel, Table


def sections(*, db_session: Session, facts: Any, week: Any, as_of: datetime) -> list[Panel]:
    """Two panels: the tier x stage table at the week's last snapshot, and the week's MQAs."""
    end = min(week.end_at, as_of)
    day = db_session.scalar(
        select(func.max(AccountStageSnapshot.day)).where(
            AccountStageSnapshot.day < end.date() + timedelta(days=1)
        )
    )
    d, _ = definitions.active(db_session, "account_stages")
    stages = d.funnel()
    if day is None:
        tiers = Panel(
            title="Accounts by tier and stage",
            empty="No account stage snapshot yet (tandem accounts stages --snapshot).",
        )
    else:
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        for tier, stage, n in db_session.execute(
            select(AccountStageSnapshot.tier, AccountStageSnapshot.stage, func.count())
            .where(AccountStageSnapshot.day == day)
            .group_by(AccountStageSnapshot.tier, AccountStageSnapshot.stage)
        ):
            counts[f"tier {tier}" if tier else "not targeted"][stage] = n
        rows = [[t, *[str(c.get(s, 0)) for s in stages]] for t, c in sorted(counts.items())]
        tiers = Panel(
            title=f"Accounts by tier and stage ({day:%Y-%m-%d})",
            table=Table(
                columns=["tier", *stages], rows=rows, numeric=[False, *[True] * len(stages)]
            ),
        )
    mqas = db_session.execute(
        select(func.count(), func.avg(AccountScore.total)).where(
            AccountScore.mqa_at >= week.start_at, AccountScore.mqa_at < end
        )
    ).one()
    new = Panel(
        title="New MQAs (marketing-qualified accounts)",
        table=Table(
            columns=["week", "accounts", "mean score now"],
            rows=[
                [
                    f"{week.start:%Y-%m-%d}",
                    str(mqas[0]),
                    f"{float(mqas[1]):.1f}" if mqas[1] is not None else "–",
                ]
            ],
            numeric=[False, True, True],
        ),
    )
    return [tiers, new]
