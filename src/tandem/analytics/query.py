"""Read dashboard query parameters into `Filters`, with a plain issue for each bad value. Pure."""

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from tandem.analytics.dims import DIMENSIONS, FilterIssue, Filters, check_filters

#: Default range: the last twelve months, up to and including today.
DEFAULT_MONTHS = 12
#: Longest range a dashboard takes (docs/security.md): its series grow with the range.
MAX_RANGE_DAYS = 3660


def default_range(as_of: datetime) -> tuple[date, date]:
    """From the first day of the month eleven months ago to the day after `as_of`."""
    index = as_of.year * 12 + as_of.month - 1 - (DEFAULT_MONTHS - 1)
    return date(index // 12, index % 12 + 1, 1), as_of.date() + timedelta(days=1)


def _date(raw: str | None, name: str, fallback: date, issues: list[FilterIssue]) -> date:
    if not raw:
        return fallback
    try:
        return date.fromisoformat(raw)
    except ValueError:
        issues.append(FilterIssue(name, f"{raw!r} is not a date (write YYYY-MM-DD); default used"))
        return fallback


def parse_filters(
    params: Mapping[str, str | None],
    *,
    as_of: datetime,
    known: Mapping[str, list[str]],
) -> tuple[Filters, list[FilterIssue]]:
    """Filters from ``start``, ``end`` and the dimension parameters; unknown values refused."""
    issues: list[FilterIssue] = []
    default_start, default_end = default_range(as_of)
    start = _date(params.get("start"), "start", default_start, issues)
    end = _date(params.get("end"), "end", default_end, issues)
    values = {d: v for d in DIMENSIONS if (v := (params.get(d) or "").strip())}
    filters, more = check_filters(Filters(start, end, values), known)
    if (end - start).days > MAX_RANGE_DAYS:
        issue = f"the range is {(end - start).days:,} days, over {MAX_RANGE_DAYS:,}; default used"
        issues.append(FilterIssue("start", issue))
    if end <= start or (end - start).days > MAX_RANGE_DAYS:
        filters = Filters(default_start, default_end, filters.values)
    return filters, issues + more
