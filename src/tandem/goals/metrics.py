"""The metrics goals can be set on, and their actual value from the dashboard facts. Pure."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import polars as pl

from tandem.analytics.frames import Facts, reach_column
from tandem.analytics.periods import Period
from tandem.analytics.ratios import rate

Team = Literal["marketing", "sales", "shared"]
TEAMS: tuple[str, ...] = ("marketing", "sales", "shared")


@dataclass(frozen=True, slots=True)
class Metric:
    """A goal metric: its label, the team that usually owns it and how it is measured."""

    name: str
    label: str
    team: str
    unit: Literal["count", "money", "rate"]
    actual: Callable[[Facts, Period, datetime, int | None], float | None]
    definition: str


def _window(period: Period, as_of: datetime) -> tuple[datetime, datetime]:
    return period.start_at, min(period.end_at, as_of)


def _owned(owner: int | None) -> pl.Expr:
    return pl.lit(True) if owner is None else pl.col("owner_id") == owner


def _mqls(facts: Facts, period: Period, as_of: datetime, owner: int | None) -> float:
    start, stop = _window(period, as_of)
    col = pl.col(reach_column("mql"))
    return float(
        facts.contacts.select((_owned(owner) & (col >= start) & (col < stop)).sum()).item()
    )


def _deals(facts: Facts, owner: int | None) -> pl.DataFrame:
    opps = facts.opportunities
    return opps if owner is None else opps.filter(pl.col("owner_id") == owner)


def _won(types: tuple[str, ...]) -> Callable[[Facts, Period, datetime, int | None], float]:
    def actual(facts: Facts, period: Period, as_of: datetime, owner: int | None) -> float:
        start, stop = _window(period, as_of)
        won = _deals(facts, owner).filter(
            pl.col("is_won"),
            pl.col("closed_at") >= start,
            pl.col("closed_at") < stop,
            pl.col("deal_type").is_in(types),
        )
        return float(won["amount"].sum())

    return actual


def _sourced(facts: Facts, period: Period, as_of: datetime, owner: int | None) -> float:
    start, stop = _window(period, as_of)
    sourced = _deals(facts, owner).filter(
        pl.col("deal_type") == "new",
        pl.col("source").fill_null("") != "sales_outreach",
        pl.col("created_at") >= start,
        pl.col("created_at") < stop,
    )
    return float(sourced["amount"].sum())


def _mql_to_sql(facts: Facts, period: Period, as_of: datetime, owner: int | None) -> float | None:
    start, stop = _window(period, as_of)
    mql = pl.col(reach_column("mql"))
    cohort = _owned(owner) & (mql >= start) & (mql < stop)
    entered, converted = facts.contacts.select(
        cohort.sum(), (cohort & (pl.col(reach_column("sql")) <= as_of)).sum()
    ).row(0)
    return rate(converted, entered)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "mqls",
            "MQLs",
            "marketing",
            "count",
            _mqls,
            "contacts that first reached MQL in the period",
        ),
        Metric(
            "pipeline_sourced",
            "Pipeline sourced",
            "marketing",
            "money",
            _sourced,
            "amount of new-business opportunities created in the period, except sales outreach",
        ),
        Metric(
            "bookings",
            "Bookings",
            "sales",
            "money",
            _won(("new", "upsell")),
            "won amount of new and upsell deals closed in the period",
        ),
        Metric(
            "revenue",
            "Revenue",
            "shared",
            "money",
            _won(("new", "upsell", "renewal")),
            "won amount of every deal type, renewals included, closed in the period",
        ),
        Metric(
            "mql_to_sql",
            "MQL to SQL conversion",
            "shared",
            "rate",
            _mql_to_sql,
            "share of the period's new MQLs that have reached SQL",
        ),
    )
}
