"""The health model replayed on history: is "at risk" followed by churn? Pure (Polars).

At each month's end the model scores the accounts paying then (from the usage, entitlements
and activity known at that moment), and the accounts that churn within `horizon_days` after
it are the outcome. Per threshold (a score below it is "flagged"): flagged, churned, flagged
that churned, precision (flagged that churned / flagged), recall (flagged that churned /
churned) and lift (precision / the month's churn rate). The totals add the months up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import polars as pl

from tandem.usage.compute import Health, score
from tandem.usage.health_model import HealthModel
from tandem.usage.retention import mrr_at

THRESHOLDS = (30.0, 40.0, 50.0, 60.0)


def month_ends(first: date, last: date) -> list[date]:
    """The last day of each month from `first`'s month to `last`'s, both included."""
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        out.append(nxt - timedelta(days=1))
        year, month = nxt.year, nxt.month
    return out


@dataclass(frozen=True)
class Cell:
    """One threshold's confusion counts."""

    threshold: float
    accounts: int
    churned: int
    flagged: int
    hits: int  # flagged that churned

    @property
    def precision(self) -> float | None:
        return self.hits / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.hits / self.churned if self.churned else None

    @property
    def lift(self) -> float | None:
        base = self.churned / self.accounts if self.accounts else 0
        return self.precision / base if self.precision is not None and base else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the ratios."""
        return {
            "threshold": self.threshold,
            "accounts": self.accounts,
            "churned": self.churned,
            "flagged": self.flagged,
            "flagged_churned": self.hits,
            "precision": self.precision,
            "recall": self.recall,
            "lift": self.lift,
        }


@dataclass(frozen=True)
class Report:
    """Per month and in total, per threshold."""

    horizon_days: int
    months: list[tuple[date, list[Cell]]] = field(default_factory=list)

    def totals(self) -> list[Cell]:
        """Each threshold summed over the months."""
        by: dict[float, list[int]] = {}
        for _, cells in self.months:
            for c in cells:
                row = by.setdefault(c.threshold, [0, 0, 0, 0])
                for i, v in enumerate((c.accounts, c.churned, c.flagged, c.hits)):
                    row[i] += v
        return [Cell(t, *v) for t, v in sorted(by.items())]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "horizon_days": self.horizon_days,
            "totals": [c.as_dict() for c in self.totals()],
            "months": [
                {"month": f"{m:%Y-%m}", "as_of": m.isoformat(), "cells": [c.as_dict() for c in cs]}
                for m, cs in self.months
            ],
        }


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def backtest(
    *,
    usage: pl.LazyFrame | pl.DataFrame,
    limits: pl.DataFrame,
    accounts: pl.DataFrame,
    events: pl.DataFrame,
    model: HealthModel,
    months: Sequence[date],
    thresholds: Sequence[float] = THRESHOLDS,
    horizon_days: int = 90,
    engagement: Callable[[date], pl.DataFrame] | None = None,
    scorer: Callable[..., Health] = score,
) -> Report:
    """Replay `model` at each of `months` (days, usually month ends). `engagement(day)`, when
    given, returns `account_id`, `engagement` as known on that day; `scorer` scores (default:
    `compute.score`, or the same on another engine)."""
    lazy = usage.lazy()
    churns = events.filter(pl.col("kind") == "churn").select("account_id", "occurred_at")
    out = []
    for day in months:
        moment = _end_of(day)
        paying = mrr_at(events, moment).filter(pl.col("mrr") > 0).select("account_id")
        cohort = accounts.join(paying, on="account_id", how="semi")
        if engagement is not None:
            cohort = cohort.drop("engagement", strict=False).join(
                engagement(day), on="account_id", how="left"
            )
        if cohort.is_empty():
            continue
        health = scorer(
            usage=lazy.filter(pl.col("day") <= day),
            limits=limits,
            accounts=cohort,
            model=model,
            as_of=day,
        )
        later = churns.filter(
            (pl.col("occurred_at") >= moment)
            & (pl.col("occurred_at") < moment + timedelta(days=horizon_days))
        )
        scored = health.scores.with_columns(
            churned=pl.col("account_id").is_in(later["account_id"].implode())
        )
        n, churned = scored.height, int(scored["churned"].sum())
        cells = []
        for t in thresholds:
            flag = scored.filter(pl.col("score") < t)
            cells.append(Cell(float(t), n, churned, flag.height, int(flag["churned"].sum())))
        out.append((day, cells))
    return Report(horizon_days=horizon_days, months=out)
