"""The dimensions dashboards slice by (segment, region, vertical, channel) and the filters.

Pure: how a contact's segment and channel are derived, and which filter values exist.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import polars as pl

from tandem.activities.channels import Channel

CHANNELS = frozenset(c.value for c in Channel)

#: Filterable dimensions, in the order forms show them. `source` is where the record came from
#: (an import profile or label, an API token, the demo), so one data set can be read alone.
DIMENSIONS: tuple[str, ...] = ("segment", "region", "vertical", "channel", "source")

#: Shown where a contact or deal has no value for a dimension.
UNKNOWN = "unknown"

# Segment by company size: the bands sales uses (SMB up to 50 people, mid-market up to 1,000).
_SEGMENT_LIMITS: tuple[tuple[int, str], ...] = ((50, "smb"), (1000, "mid_market"))
_BAND_EMPLOYEES = {
    "1-10": 5,
    "11-50": 30,
    "51-200": 120,
    "201-1000": 500,
    "1001-5000": 2500,
    "5000+": 12000,
}

# Where a contact arrived without a campaign, its first-touch medium names the channel.
_MEDIUM_CHANNEL = {
    "organic": "organic_search",
    "(none)": "direct",
    "none": "direct",
    "direct": "direct",
    "cpc": "paid_search",
    "ppc": "paid_search",
    "paid_search": "paid_search",
    "social": "organic_social",
    "paid_social": "paid_social",
    "email": "email",
    "referral": "referral",
    "display": "display",
    "event": "events",
    "webinar": "webinar",
    "partner": "partner",
    "syndication": "content_syndication",
}


def segment_expr(employees: str = "employees", band: str = "employee_band") -> pl.Expr:
    """SMB, mid-market or enterprise from head count (or the employee band when no count)."""
    count = pl.col(employees).fill_null(pl.col(band).replace_strict(_BAND_EMPLOYEES, default=None))
    expr = pl.when(count.is_null()).then(pl.lit(None, pl.String))
    for limit, name in _SEGMENT_LIMITS:
        expr = expr.when(count <= limit).then(pl.lit(name))
    return expr.otherwise(pl.lit("enterprise"))


def channel_expr(
    campaign_channel: str = "campaign_channel", medium: str = "medium", source: str = "source"
) -> pl.Expr:
    """The first-touch campaign's channel, else the channel the first-touch medium implies,
    else the first-touch source when it already names a channel (as imports often write)."""
    cleaned = pl.col(medium).str.strip_chars().str.to_lowercase()
    named = pl.col(source).str.strip_chars().str.to_lowercase()
    return pl.coalesce(
        pl.col(campaign_channel),
        cleaned.replace(_MEDIUM_CHANNEL),
        pl.when(named.is_in(list(CHANNELS))).then(named),
    )


@dataclass(frozen=True, slots=True)
class Filters:
    """Date range (half-open, days) and dimension values a dashboard is restricted to."""

    start: date
    end: date
    values: Mapping[str, str] = field(default_factory=dict)

    def with_values(self, **values: str | None) -> "Filters":
        """A copy with some dimension values set (None or empty removes one)."""
        merged = {**self.values, **values}
        return replace(self, values={k: v for k, v in merged.items() if v})


@dataclass(frozen=True, slots=True)
class FilterIssue:
    """A filter value that cannot be applied, said plainly."""

    field: str
    message: str


def check_filters(
    filters: Filters, known: Mapping[str, Sequence[str]]
) -> tuple[Filters, list[FilterIssue]]:
    """Drop filter values that do not exist in the data and explain each one dropped.

    A value that matches nothing would otherwise draw empty charts that look like "zero".
    """
    issues = []
    kept = {}
    for name, value in filters.values.items():
        if name not in DIMENSIONS:
            issues.append(FilterIssue(name, f"{name!r} is not a filter"))
        elif value not in known.get(name, ()):
            issues.append(
                FilterIssue(name, f"no {name} called {value!r} in this workspace; filter ignored")
            )
        else:
            kept[name] = value
    if filters.end <= filters.start:
        issues.append(FilterIssue("end", "the end date must be after the start date"))
    return replace(filters, values=kept), issues
