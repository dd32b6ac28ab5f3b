"""Account journey stages, pure: defined as code (the `account_stages` definition kind),
evaluated from the bottom of the funnel up (the first stage whose condition holds wins), and
read back from daily snapshots as stage history, conversion and time in stage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import Field

from tandem.accounts.loading import at
from tandem.definitions.base import ConfigModel, Issue
from tandem.scoring.issues import SourceMap
from tandem.scoring.model import RuleId


class When(ConfigModel):
    """Every threshold given must hold (counts and score are minimums)."""

    won_deals: int | None = Field(None, ge=1)
    open_deals: int | None = Field(None, ge=1)
    mqa: bool | None = None
    people_engaged: int | None = Field(None, ge=1)
    score: float | None = Field(None, gt=0)
    #: Sales accepted the account's current MQA handoff (`tandem.handoff`): e.g. a
    #: "sales-accepted" stage between opportunity and MQA.
    accepted: bool | None = None


class Stage(ConfigModel):
    id: RuleId
    label: str = ""
    when: When | None = None  # None: the catch-all (the top of the funnel)


class StagesDefinition(ConfigModel):
    name: str = "default"
    stages: tuple[Stage, ...] = Field(min_length=2, description="Bottom of the funnel first.")

    def funnel(self) -> list[str]:
        """Stage ids from the top of the funnel down."""
        return [s.id for s in reversed(self.stages)]


def catch_all_last(d: StagesDefinition, src: SourceMap) -> Iterator[Issue]:
    for i, stage in enumerate(d.stages[:-1]):
        if stage.when is None:
            yield at(
                src,
                ("stages", i),
                f"only the last stage may have no condition "
                f"({stage.id!r} hides the stages after it)",
                "unreachable",
            )
    if d.stages[-1].when is not None:
        yield at(
            src,
            ("stages", len(d.stages) - 1),
            "the last stage (the top of the funnel) "
            "must have no condition, so every account has a stage",
            "catch-all",
        )
    seen: set[str] = set()
    for i, stage in enumerate(d.stages):
        if stage.id in seen:
            yield at(src, ("stages", i, "id"), f"duplicate stage {stage.id!r}", "duplicate-id")
        seen.add(stage.id)


CHECKS = (catch_all_last,)


@dataclass(frozen=True, slots=True)
class StageFacts:
    won_deals: int = 0
    open_deals: int = 0
    mqa: bool = False
    people_engaged: int = 0
    score: float = 0.0
    accepted: bool = False


def holds(when: When | None, f: StageFacts) -> bool:
    if when is None:
        return True
    return (
        (when.won_deals is None or f.won_deals >= when.won_deals)
        and (when.open_deals is None or f.open_deals >= when.open_deals)
        and (when.mqa is None or f.mqa == when.mqa)
        and (when.people_engaged is None or f.people_engaged >= when.people_engaged)
        and (when.score is None or f.score >= when.score)
        and (when.accepted is None or f.accepted == when.accepted)
    )


def evaluate(d: StagesDefinition, facts: StageFacts) -> str:
    """The account's stage: the lowest in the funnel whose condition holds."""
    return next(s.id for s in d.stages if holds(s.when, facts))


@dataclass(frozen=True, slots=True)
class Stay:
    account_id: int
    stage: str
    start: date
    end: date  # the last day seen in the stage
    closed: bool  # False while the account is still in it


def stays(rows: Iterable[tuple[int, date, str]]) -> list[Stay]:
    """Consecutive runs of one stage per account from daily snapshots (account, day, stage)."""
    by_account: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for account, day, stage in rows:
        by_account[account].append((day, stage))
    out = []
    for account, days in by_account.items():
        days.sort()
        start, current, last = days[0][0], days[0][1], days[0][0]
        for day, stage in days[1:]:
            if stage != current:
                out.append(Stay(account, current, start, last, True))
                start, current = day, stage
            last = day
        out.append(Stay(account, current, start, last, False))
    return out


@dataclass(frozen=True)
class StageRow:
    tier: str
    stage: str
    entered: int  # accounts that were in the stage
    advanced: int  # of those, how many reached a stage further down the funnel later
    mean_days: float | None  # mean days in the stage of the stays that ended

    @property
    def conversion(self) -> float | None:
        return self.advanced / self.entered if self.entered else None


def conversion(
    d: StagesDefinition, history: Sequence[Stay], tiers: Mapping[int, str | None]
) -> list[StageRow]:
    """Per tier and stage: accounts entered, advanced further down, mean days in stage."""
    depth = {s: i for i, s in enumerate(d.funnel())}
    entered: dict[tuple[str, str], set[int]] = defaultdict(set)
    advanced: dict[tuple[str, str], set[int]] = defaultdict(set)
    durations: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_account: dict[int, list[Stay]] = defaultdict(list)
    for s in history:
        by_account[s.account_id].append(s)
    for account, runs in by_account.items():
        tier = tiers.get(account) or "none"
        runs.sort(key=lambda s: s.start)
        for i, run in enumerate(runs):
            key = (tier, run.stage)
            entered[key].add(account)
            later = runs[i + 1 :]
            if any(depth.get(r.stage, -1) > depth.get(run.stage, -1) for r in later):
                advanced[key].add(account)
            if run.closed:
                durations[key].append((runs[i + 1].start - run.start).days)
    rows = []
    for tier in sorted({k[0] for k in entered}):
        for stage in d.funnel():
            key = (tier, stage)
            days = durations.get(key)
            rows.append(
                StageRow(
                    tier,
                    stage,
                    len(entered.get(key, ())),
                    len(advanced.get(key, ())),
                    sum(days) / len(days) if days else None,
                )
            )
    return rows
