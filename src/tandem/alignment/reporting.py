"""A wave's report: its answers read once, its figures read from the metric registry over the
period it asks about, the analysis (`analysis.py`), the trend across waves and what changed."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.alignment import service
from tandem.alignment.analysis import Analysis, Answers, Measured, analyse
from tandem.alignment.instrument import Instrument, band
from tandem.alignment.models import SurveyResponse, SurveyWave, WaveStatus
from tandem.alignment.schemas import Change, Rate, Report, Trend
from tandem.analytics.charts import fmt
from tandem.analytics.frames import Facts
from tandem.metrics import service as metrics
from tandem.metrics.engine import engine_for
from tandem.metrics.spec import Window


def answers(*, db_session: Session, wave: SurveyWave, inst: Instrument) -> Answers:
    """The wave's answers, summed up by the database: answers counted per audience, statement
    and point; each respondent's total per dimension. No respondent key leaves the database."""
    r = SurveyResponse
    mine = r.wave_id == wave.id
    conn = db_session.connection()
    respondents = dict(
        conn.execute(
            select(r.audience, func.count(func.distinct(r.respondent)))
            .where(mine, r.answer.is_not(None))
            .group_by(r.audience)
        ).all()
    )
    cells: dict[tuple[str, str], np.ndarray] = {}
    counted = conn.execute(
        select(r.statement, r.audience, r.answer, func.count())
        .where(mine, r.answer.is_not(None))
        .group_by(r.statement, r.audience, r.answer)
        .order_by(r.statement, r.audience, r.answer)
    ).all()
    for (statement, audience), group in itertools.groupby(counted, key=lambda x: x[:2]):
        points = [(float(answer), int(n)) for _, _, answer, n in group]
        cells[(statement, audience)] = np.repeat([p for p, _ in points], [n for _, n in points])
    scored = inst.scored()
    dims = [d.id for d in inst.dimensions]
    dimension = case({s.id: dims.index(d.id) for d, s in scored}, value=r.statement, else_=-1)
    turned = [s.id for _, s in scored if s.reverse]
    value = (
        case((r.statement.in_(turned), inst.scale.min + inst.scale.max - r.answer), else_=r.answer)
        if turned
        else r.answer
    )
    totals = conn.execute(
        select(r.audience, dimension, func.sum(value), func.count())
        .where(mine, r.answer.is_not(None), r.statement.in_([s.id for _, s in scored]))
        .group_by(r.respondent, r.audience, dimension)
    ).all()
    means: dict[tuple[str, str], list[float]] = {}
    for audience, dim, total, n in totals:
        means.setdefault((dims[dim], audience), []).append(total / n)
    comments = conn.execute(
        select(r.audience, r.statement, r.comment).where(mine, r.comment.is_not(None))
    ).all()
    per_account = conn.execute(
        select(r.account, func.count(func.distinct(r.respondent)), func.avg(value))
        .where(
            mine,
            r.audience == "customer",
            r.account.is_not(None),
            r.answer.is_not(None),
            r.statement.in_([s.id for _, s in scored]),
        )
        .group_by(r.account)
    ).all()
    return Answers(
        accounts=_account_names(
            db_session, {a: (int(n), float(mean)) for a, n, mean in per_account}
        ),
        respondents={a: int(n) for a, n in respondents.items()},
        cells=cells,
        dimensions={k: np.asarray(v, dtype=float) for k, v in means.items()},
        comments=[(a, s, c) for a, s, c in comments],
    )


def _account_names(
    db_session: Session, found: dict[str, tuple[int, float]]
) -> dict[str, tuple[int, float]]:
    """Accounts by name where the key is one of ours (a link's account id), else as imported."""
    ids = [int(k) for k in found if k.isdecimal() and len(k) < 12]
    names = dict(
        db_session.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all()
    )
    return {
        (names.get(int(k)) or k) if k.isdecimal() and len(k) < 12 else k: v
        for k, v in found.items()
    }


def _names(inst: Instrument) -> list[str]:
    tied = [s.metric for _, s in inst.statements() if s.metric]
    return list(dict.fromkeys([*tied, *(c.metric for c in inst.data_index)]))


def measured(
    facts: Facts | None, inst: Instrument, wave: SurveyWave, as_of: dt.datetime
) -> dict[str, Measured]:
    """The registry's figures the instrument names, over the wave's period."""
    names = _names(inst)
    if not names or facts is None:
        return {}
    at = Window(wave.period_start, wave.period_end + dt.timedelta(days=1), as_of)
    found = metrics.figures(engine_for(facts), names, at, strict=False)
    return {
        name: Measured(
            label=f.metric.label,
            unit=f.metric.unit,
            value=f.value,
            shown=fmt(f.value, f.metric.unit),  # type: ignore[arg-type]
            rows=f.rows,
        )
        for name, f in found.items()
    }


def analysed(
    *, db_session: Session, facts: Facts | None, wave: SurveyWave, as_of: dt.datetime
) -> tuple[Instrument, Analysis]:
    row, inst = service.instrument_of(db_session=db_session, wave=wave)
    figures = measured(facts, inst, wave, as_of)
    data = answers(db_session=db_session, wave=wave, inst=inst)
    return inst, analyse(inst, data, figures, min_group=wave.min_group)


def latest(*, db_session: Session) -> SurveyWave | None:
    """The wave a report shows by default: the last closed one, else the last opened."""
    every = service.waves(db_session=db_session)
    closed = [w for w in every if w.status == WaveStatus.CLOSED]
    return (closed or every or [None])[-1]


def _trend(
    *, db_session: Session, facts: Facts | None, upto: SurveyWave, as_of: dt.datetime
) -> tuple[list[Trend], dict[int, Analysis]]:
    """Each wave of the same instrument up to `upto`, with its three indexes."""
    out, kept = [], {}
    for wave in service.waves(db_session=db_session):
        if wave.instrument != upto.instrument or wave.opened_at > upto.opened_at:
            continue
        _, found = analysed(db_session=db_session, facts=facts, wave=wave, as_of=as_of)
        kept[wave.id] = found
        out.append(
            Trend(
                wave=wave.name,
                closed_at=wave.closed_at,
                survey=found.survey_index.score,
                data=found.data_index.score,
                alignment=found.alignment_index.score,
                band=band(found.alignment_index.score),
            )
        )
    return out, kept


def _changes(before: Analysis, after: Analysis) -> list[Change]:
    """The alignment index's change, component by component (their deltas sum to it)."""
    old = {c.key: c for c in before.alignment_index.components}
    out = []
    for c in after.alignment_index.components:
        prior = old.get(c.key)
        a = c.contribution or 0.0
        b = (prior.contribution or 0.0) if prior else 0.0
        out.append(
            Change(
                key=c.key,
                label=c.label,
                before=prior.score if prior else None,
                after=c.score,
                delta=a - b,
            )
        )
    return sorted(out, key=lambda x: -abs(x.delta))


def report(
    *,
    db_session: Session,
    facts: Facts | None,
    as_of: dt.datetime,
    wave_name: str | None = None,
) -> Report:
    """The report of wave `wave_name` (default: the latest closed wave)."""
    if wave_name:
        wave = service.get_wave(db_session=db_session, name=wave_name)
    else:
        found = latest(db_session=db_session)
        if found is None:
            raise service.WaveNotFound("no survey wave yet: `tandem survey open NAME` starts one")
        wave = found
    version, inst = service.instrument_of(db_session=db_session, wave=wave)
    trend, kept = _trend(db_session=db_session, facts=facts, upto=wave, as_of=as_of)
    result = kept[wave.id]
    earlier = [t for t in trend if t.wave != wave.name]
    changes: list[Change] = []
    if earlier:
        previous = service.get_wave(db_session=db_session, name=earlier[-1].wave)
        changes = _changes(kept[previous.id], result)
    return Report(
        wave=wave.name,
        wave_id=wave.id,
        instrument=f"{inst.title} ({version.name} v{version.version})",
        version=version.version,
        status=wave.status,
        opened_at=wave.opened_at,
        closed_at=wave.closed_at,
        period_start=wave.period_start,
        period_end=wave.period_end,
        min_group=wave.min_group,
        alpha=0.05,
        respondents=result.respondents,
        accounts=result.accounts,
        rates=_rates(service.rates(db_session=db_session, wave=wave), wave.min_group),
        suppressed=result.suppressed,
        statements=result.statements,
        gaps=result.gaps,
        dimension_gaps=result.dimension_gaps,
        say_vs_do=result.say_vs_do,
        survey_index=result.survey_index,
        data_index=result.data_index,
        alignment_index=result.alignment_index,
        trend=trend,
        changes=changes,
    )


def _rates(found: Iterable[tuple[str, int, int]], min_group: int) -> list[Rate]:
    """Response rates per audience; a count below the minimum is not shown (rate None)."""
    out = []
    for audience, invited, responded in found:
        small = responded < min_group
        out.append(
            Rate(
                audience=audience,
                invited=invited,
                responded=0 if small else responded,
                rate=None if small or not invited else responded / invited,
            )
        )
    return out
