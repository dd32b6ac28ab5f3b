"""A wave's answers turned into the report: groups, gaps, say versus do, the three indexes. Pure.

The answers arrive as parallel arrays (one row per respondent and statement); the figures
tied to statements and to the data index arrive already read from the metric registry. Every
group below the wave's minimum size is left out of every number and listed in `suppressed`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from tandem.alignment import stats
from tandem.alignment.instrument import AUDIENCES, Instrument, Statement, band
from tandem.alignment.schemas import (
    AccountScore,
    Component,
    Gap,
    Group,
    Index,
    SayDo,
    StatementResult,
    Suppressed,
)

ALPHA = 0.05


@dataclass(frozen=True)
class Answers:
    """A wave's answers as the analysis needs them, with no respondent in sight: respondents
    per audience, each (statement, audience) group's answers, and each (dimension, audience)
    group's respondent means (aligned direction: reversed statements turned)."""

    respondents: Mapping[str, int]
    cells: Mapping[tuple[str, str], np.ndarray]
    dimensions: Mapping[tuple[str, str], np.ndarray]
    comments: Sequence[tuple[str, str, str]] = ()  # (audience, statement, text)
    # Customers per account: account -> (respondents, mean answer in the aligned direction).
    accounts: Mapping[str, tuple[int, float]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        inst: Instrument,
        rows: Sequence[tuple[int, str, str, float | None]],
        comments: Sequence[tuple[str, str, str]] = (),
        accounts: Mapping[str, tuple[int, float]] | None = None,
    ) -> Answers:
        """From (respondent, audience, statement, answer) rows (answers None are left out)."""
        people: dict[str, set[int]] = {}
        cells: dict[tuple[str, str], list[float]] = {}
        sums: dict[tuple[int, str, str], list[float]] = {}
        scored = {s.id: (d.id, s.reverse) for d, s in inst.scored()}
        for person, audience, statement, answer in rows:
            if answer is None:
                continue
            people.setdefault(audience, set()).add(person)
            cells.setdefault((statement, audience), []).append(answer)
            if statement in scored:
                dim, reverse = scored[statement]
                value = inst.scale.min + inst.scale.max - answer if reverse else answer
                sums.setdefault((person, audience, dim), []).append(value)
        means: dict[tuple[str, str], list[float]] = {}
        for (_, audience, dim), values in sums.items():
            means.setdefault((dim, audience), []).append(sum(values) / len(values))
        return cls(
            respondents={a: len(p) for a, p in people.items()},
            cells={k: np.asarray(v, dtype=float) for k, v in cells.items()},
            dimensions={k: np.asarray(v, dtype=float) for k, v in means.items()},
            comments=tuple(comments),
            accounts=dict(accounts or {}),
        )


@dataclass(frozen=True)
class Measured:
    """A registry figure over the wave's period."""

    label: str
    unit: str
    value: float | None
    shown: str
    rows: int


@dataclass
class Analysis:
    respondents: dict[str, int]
    accounts: list[AccountScore]
    suppressed: list[Suppressed]
    statements: list[StatementResult]
    gaps: list[Gap]
    dimension_gaps: list[Gap]
    say_vs_do: list[SayDo]
    survey_index: Index
    data_index: Index
    alignment_index: Index
    notes: list[str] = field(default_factory=list)


def _group(values: np.ndarray, inst: Instrument, reverse: bool) -> Group:
    lo, hi = inst.scale.min, inst.scale.max
    counts = np.bincount(values.astype(int) - lo, minlength=hi - lo + 1)
    agree = values <= lo + 1 if reverse else values >= hi - 1
    agreement = stats.rwg(values, hi - lo + 1)
    return Group(
        n=len(values),
        mean=float(values.mean()),
        median=float(np.median(values)),
        distribution=[int(c) for c in counts],
        agree_share=float(agree.mean()),
        agreement=agreement,
        agrees=agreement is not None and agreement >= stats.AGREES,
    )


def _gap(
    x: np.ndarray, y: np.ndarray, pair: tuple[str, str], dimension: str, split: list[str]
) -> Gap:
    t = stats.compare(x, y)
    certainty = 0.0 if t.low <= 0 <= t.high else min(abs(t.low), abs(t.high))
    return Gap(
        dimension=dimension,
        audiences=list(pair),
        means=[float(x.mean()), float(y.mean())],
        n=[len(x), len(y)],
        difference=t.difference,
        ci=[t.low, t.high],
        u=t.u,
        p=t.p,
        q=t.p,
        effect=t.effect,
        significant=False,
        split=split,
        finding=False,
        certainty=certainty,
    )


def _adjust(gaps: list[Gap], alpha: float) -> list[Gap]:
    """BH across the family, then ranked: findings first, by certainty then size."""
    q = stats.benjamini_hochberg([g.p for g in gaps])
    out = []
    for gap, qv in zip(gaps, q, strict=True):
        significant = qv < alpha
        out.append(
            gap.model_copy(
                update={
                    "q": qv,
                    "significant": significant,
                    "finding": significant and not gap.split,
                }
            )
        )
    return sorted(out, key=lambda g: (not g.finding, -g.certainty, -abs(g.difference)))


def _scored(st: Statement, values: np.ndarray, inst: Instrument) -> np.ndarray:
    """Answers turned so that higher is always more aligned."""
    return (inst.scale.min + inst.scale.max - values) if st.reverse else values


def _to_100(mean: float, inst: Instrument) -> float:
    return 100.0 * (mean - inst.scale.min) / (inst.scale.max - inst.scale.min)


def analyse(
    inst: Instrument,
    answers: Answers,
    figures: Mapping[str, Measured],
    *,
    min_group: int,
    alpha: float = ALPHA,
) -> Analysis:
    """Everything the report shows about one wave."""
    suppressed: list[Suppressed] = []
    # Respondents per audience: an audience below the minimum is left out of everything.
    respondents: dict[str, int] = {}
    for audience in AUDIENCES:
        n = answers.respondents.get(audience, 0)
        if n == 0:
            continue
        if n < min_group:
            suppressed.append(
                Suppressed(audience=audience, reason=f"fewer than {min_group} respondents")
            )
        else:
            respondents[audience] = n
    shown = [a for a in AUDIENCES if a in respondents]
    cells = answers.cells

    results: list[StatementResult] = []
    raw_gaps: list[Gap] = []
    by_comment: dict[str, list[str]] = {}
    for audience, statement, text in answers.comments:
        if audience in respondents:
            by_comment.setdefault(statement, []).append(text)
    for dim, st in inst.statements():
        groups: dict[str, Group] = {}
        if st.type == "agreement":
            for audience in st.audiences:
                if audience not in shown:
                    continue
                values = cells.get((st.id, audience))
                if values is None:
                    continue
                if len(values) < min_group:
                    suppressed.append(
                        Suppressed(
                            audience=audience,
                            statement=st.id,
                            reason=f"fewer than {min_group} answers",
                        )
                    )
                    continue
                groups[audience] = _group(values, inst, st.reverse)
            for a, b in itertools.combinations([x for x in AUDIENCES if x in groups], 2):
                split = [x for x in (a, b) if not groups[x].agrees]
                gap = _gap(cells[(st.id, a)], cells[(st.id, b)], (a, b), dim.id, split)
                raw_gaps.append(gap.model_copy(update={"statement": st.id}))
        results.append(
            StatementResult(
                id=st.id,
                dimension=dim.id,
                text=st.text,
                type=st.type,
                reverse=st.reverse,
                metric=st.metric,
                groups=groups,
                comments=sorted(by_comment.get(st.id, [])),
            )
        )
    gaps = _adjust(raw_gaps, alpha)
    dimension_gaps = _adjust(_dimension_gaps(inst, answers, shown, min_group), alpha)
    say = _say_vs_do(inst, results, figures)
    survey = _survey_index(inst, results)
    data = _data_index(inst, figures)
    accounts, small = [], 0
    for account, (n, mean) in sorted(answers.accounts.items()):
        if n >= min_group and "customer" in respondents:
            accounts.append(AccountScore(account=account, n=n, score=_to_100(mean, inst)))
        else:
            small += 1
    if small:
        suppressed.append(
            Suppressed(
                audience="customer",
                account=f"{small} account{'s' if small > 1 else ''}",
                reason=f"fewer than {min_group} respondents each",
            )
        )
    return Analysis(
        respondents=respondents,
        accounts=sorted(accounts, key=lambda a: a.score),
        suppressed=suppressed,
        statements=results,
        gaps=gaps,
        dimension_gaps=dimension_gaps,
        say_vs_do=say,
        survey_index=survey,
        data_index=data,
        alignment_index=_alignment(inst, survey, data),
    )


def _dimension_gaps(
    inst: Instrument, answers: Answers, shown: list[str], min_group: int
) -> list[Gap]:
    """Each respondent's mean (aligned direction) over a dimension's statements, compared."""
    points = inst.scale.max - inst.scale.min + 1
    out = []
    for dim in inst.dimensions:
        per: dict[str, np.ndarray] = {}
        for audience in shown:
            values = answers.dimensions.get((dim.id, audience))
            if values is not None and len(values) >= min_group:
                per[audience] = values
        for a, b in itertools.combinations(list(per), 2):
            split = [x for x in (a, b) if (stats.rwg(per[x], points) or 0.0) < stats.AGREES]
            out.append(_gap(per[a], per[b], (a, b), dim.id, split))
    return out


def _say_vs_do(
    inst: Instrument, results: list[StatementResult], figures: Mapping[str, Measured]
) -> list[SayDo]:
    out = []
    for r in results:
        if r.metric is None:
            continue
        measured = figures.get(r.metric)
        out.append(
            SayDo(
                statement=r.id,
                text=r.text,
                metric=r.metric,
                label=measured.label if measured else r.metric,
                unit=measured.unit if measured else "",
                value=measured.value if measured else None,
                shown=measured.shown if measured else "–",
                rows=measured.rows if measured else 0,
                answers={a: g.mean for a, g in r.groups.items()},
                agree_share={a: g.agree_share for a, g in r.groups.items()},
            )
        )
    return out


def _survey_index(inst: Instrument, results: list[StatementResult]) -> Index:
    """Per dimension: the mean over audiences of each audience's weighted statement score;
    the index: the dimensions' weighted mean (renormalised over the dimensions scored)."""
    by_id = {r.id: r for r in results}
    scores: list[tuple[str, str, float, float | None]] = []
    for dim in inst.dimensions:
        per_audience = []
        for audience in AUDIENCES:
            parts = []
            for st in dim.statements:
                r = by_id[st.id]
                if st.type != "agreement" or audience not in r.groups:
                    continue
                mean = r.groups[audience].mean
                if st.reverse:
                    mean = inst.scale.min + inst.scale.max - mean
                parts.append((st.weight or 1.0, _to_100(mean, inst)))
            if parts:
                total = sum(w for w, _ in parts)
                per_audience.append(sum(w * s for w, s in parts) / total)
        score = float(np.mean(per_audience)) if per_audience else None
        scores.append((dim.id, dim.title, dim.weight, score))
    return _combine("survey", scores)


def _combine(prefix: str, scores: list[tuple[str, str, float, float | None]]) -> Index:
    """Weighted mean of the component scores present; contributions sum to the score."""
    present = sum(w for _, _, w, s in scores if s is not None)
    components = []
    notes = []
    for key, label, weight, score in scores:
        contribution = score * weight / present if score is not None and present else None
        if score is None:
            notes.append(f"{label}: no figure, left out and the other weights scaled up")
        components.append(
            Component(
                key=f"{prefix}:{key}",
                label=label,
                weight=weight,
                score=score,
                contribution=contribution,
            )
        )
    total = sum(c.contribution for c in components if c.contribution is not None)
    value = float(total) if present else None
    return Index(score=value, band=band(value), components=components, notes=notes)


def data_score(
    value: float | None, unit: str, best: float | None, worst: float | None
) -> float | None:
    """A figure on 0-100: a share as itself; hours or days from `worst` (0) to `best` (100)."""
    if value is None:
        return None
    if unit == "percent":
        return float(max(0.0, min(1.0, value)) * 100)
    if best is None or worst is None:
        return None
    return float(max(0.0, min(1.0, (worst - value) / (worst - best))) * 100)


def _data_index(inst: Instrument, figures: Mapping[str, Measured]) -> Index:
    scores = []
    for comp in inst.data_index:
        measured = figures.get(comp.metric)
        value = measured.value if measured else None
        unit = measured.unit if measured else ""
        label = measured.label if measured else comp.metric
        scores.append(
            (comp.metric, label, comp.weight, data_score(value, unit, comp.best, comp.worst))
        )
    index = _combine("data", scores)
    for c in index.components:
        measured = figures.get(c.key.removeprefix("data:"))
        if measured is not None:
            c.value, c.shown = measured.value, measured.shown
    return index


def _alignment(inst: Instrument, survey: Index, data: Index) -> Index:
    """The survey and data indexes combined by the instrument's weights; their components'
    contributions rescaled so that they still sum to the alignment index."""
    parts = [(survey, inst.index.survey), (data, inst.index.data)]
    present = sum(w for idx, w in parts if idx.score is not None and w > 0)
    components: list[Component] = []
    notes = []
    for idx, w in parts:
        if w <= 0:
            continue
        if idx.score is None:
            notes.append(
                f"no {'survey' if idx is survey else 'data'} score: the other stands alone"
            )
            continue
        scale = w / present
        for c in idx.components:
            components.append(
                c.model_copy(
                    update={
                        "weight": c.weight * scale,
                        "contribution": None if c.contribution is None else c.contribution * scale,
                    }
                )
            )
    if not present:
        return Index(score=None, band=None, components=components, notes=notes)
    score = float(sum(c.contribution for c in components if c.contribution is not None))
    return Index(score=score, band=band(score), components=components, notes=notes)
