"""Frames for the pure health tests: weekly usage of a few accounts, seats, subscriptions."""

from datetime import UTC, date, datetime, timedelta

import polars as pl

AS_OF = date(2026, 6, 28)


def weekly(account_id: int, values: dict[str, list[float]], end: date = AS_OF) -> pl.DataFrame:
    """Weekly rows ending on `end`, oldest first, one column per metric."""
    n = len(next(iter(values.values())))
    days = [end - timedelta(days=7 * (n - 1 - k)) for k in range(n)]
    return pl.DataFrame({"account_id": [account_id] * n, "day": days} | values)


def seats(
    rows: list[tuple[int, float]],
    plan: str = "pro",
    metric: str = "active_users",
    unit: str = "seats",
    renewal: date | None = date(2026, 12, 31),
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account_id": [a for a, _ in rows],
            "metric": [metric] * len(rows),
            "unit": [unit] * len(rows),
            "allowance": [float(s) for _, s in rows],
            "plan": [plan] * len(rows),
            "renewal_on": [renewal] * len(rows),
            "valid_from": [date(2025, 1, 1)] * len(rows),
            "valid_to": [None] * len(rows),
        },
        schema_overrides={"valid_to": pl.Date, "renewal_on": pl.Date},
    )


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)
