"""The demo's alignment: two closed waves of generated answers (marketing and sales apart on
whether sales accepts marketing's leads, closer a quarter later), so `/alignment` shows gaps,
say versus do on the demo's own records, and a trend."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import func, select

from tandem.alignment import service, synthetic
from tandem.alignment.models import SurveyWave
from tandem.cli.context import console, db_session
from tandem.db import utcnow

SIZES = {"marketing": 14, "sales": 22, "customer": 9}
WAVES = (
    # name, days before now it opened and closed, the planted answers
    ("demo-earlier", 104, 97, {("leads_accepted", "marketing"): 4, ("leads_accepted", "sales"): 2}),
    ("demo-latest", 11, 4, {("leads_accepted", "marketing"): 4, ("leads_accepted", "sales"): 3}),
)


def _csv(rows: list[tuple[int, str, str, float | None]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["respondent", "audience", "statement", "answer"])
    writer.writerows((f"demo-{p}", a, s, int(v or 0)) for p, a, s, v in rows)
    return out.getvalue().encode()


def setup_alignment() -> None:
    """Two closed demo waves, unless a wave exists."""
    now = utcnow()
    with db_session() as db:
        if db.scalar(select(func.count()).select_from(SurveyWave)):
            console.print("survey waves exist already; keeping them")
            return
        for seed, (name, opened, closed, centres) in enumerate(WAVES):
            wave = service.open_wave(db_session=db, name=name, at=now - timedelta(days=opened))
            _, inst = service.instrument_of(db_session=db, wave=wave)
            rows = synthetic.generate(
                inst, SIZES, seed=seed, centres=centres, split={"one_system": "sales"}
            )
            service.import_responses(db_session=db, wave_name=name, data=_csv(rows))
            service.close_wave(db_session=db, name=name, at=now - timedelta(days=closed))
    console.print(f"alignment: {len(WAVES)} closed survey waves of generated answers (/alignment)")
