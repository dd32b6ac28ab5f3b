"""The metrics goals can be set on, each one a metric of the registry. Pure.

A goal's actual is the registry's figure over the goal's period (a quota's, filtered to its
owner), so the goals page, the weekly review and every dashboard read one number.
"""

from dataclasses import dataclass
from typing import Literal

Team = Literal["marketing", "sales", "shared"]
TEAMS: tuple[str, ...] = ("marketing", "sales", "shared")


@dataclass(frozen=True, slots=True)
class Metric:
    """A goal metric: its label, the team that usually owns it and the registry metric."""

    name: str
    label: str
    team: str
    unit: Literal["count", "money", "rate"]
    registry: str  # the metric of tandem.metrics that measures it
    definition: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "mqls",
            "MQLs",
            "marketing",
            "count",
            "reached_mql",
            "contacts that first reached MQL in the period",
        ),
        Metric(
            "pipeline_sourced",
            "Pipeline sourced",
            "marketing",
            "money",
            "pipeline_sourced",
            "amount of new-business opportunities created in the period, except sales outreach",
        ),
        Metric(
            "bookings",
            "Bookings",
            "sales",
            "money",
            "bookings",
            "won amount of new and upsell deals closed in the period",
        ),
        Metric(
            "revenue",
            "Revenue",
            "shared",
            "money",
            "revenue_won",
            "won amount of every deal type, renewals included, closed in the period",
        ),
        Metric(
            "mql_to_sql",
            "MQL to SQL conversion",
            "shared",
            "rate",
            "conversion_mql_to_sql",
            "share of the period's new MQLs that have reached SQL",
        ),
    )
}
