"""The weekly review's alignment section: shown for the week a wave closed in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.alignment import reporting
from tandem.alignment.models import SurveyWave, WaveStatus
from tandem.alignment.render import gaps_panel, index_panel, say_do_panel
from tandem.analytics.charts import Panel
from tandem.analytics.frames import Facts
from tandem.analytics.periods import Period


def sections(*, db_session: Session, facts: Facts, week: Period, as_of: datetime) -> list[Panel]:
    """The index, the largest gaps and say versus do of each wave closed in `week`."""
    closed = db_session.scalars(
        select(SurveyWave)
        .where(
            SurveyWave.status == WaveStatus.CLOSED,
            SurveyWave.closed_at >= week.start_at,
            SurveyWave.closed_at < min(week.end_at, as_of),
        )
        .order_by(SurveyWave.closed_at)
    ).all()
    panels: list[Panel] = []
    for wave in closed:
        vm = reporting.report(db_session=db_session, facts=facts, as_of=as_of, wave_name=wave.name)
        index = index_panel(vm)
        index.title = f"Alignment survey {vm.wave} closed: the index"
        gaps = gaps_panel(vm, limit=5)
        gaps.title = f"Alignment survey {vm.wave}: largest gaps"
        say = say_do_panel(vm)
        say.title = f"Alignment survey {vm.wave}: say versus do"
        panels += [index, gaps, say]
    return panels
