"""Demo customers whose usage causes what happens to them. Pure (NumPy and Polars).

Every customer account gets two years of weekly usage, entitlements and a subscription
history, and one of three fates, planted so the backtest and the dashboards show something true:

* churn (about 1 in 5): sixteen weeks before the churn date its active users start falling
  from its usual level to a fraction of it, and eight weeks before it stops running reports;
  no usage after the churn event;
* expansion (about 1 in 5): its active users climb to fill and exceed its seats over the
  sixteen weeks before an upgrade (seats and MRR x1.5 from then, a new entitlement);
* steady: usage around its usual level, renewals on each anniversary.

A fate date may lie after the demo clock: those accounts are falling or filling up now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import polars as pl

WEEKS = 104
LEAD_WEEKS = 16
PRICE_PER_SEAT = 40.0


@dataclass(frozen=True)
class DemoUsage:
    """Frames for `usage_facts` (weekly), `entitlements` and `subscription_events`, and each
    account's planted fate (`account_id`, `fate`, `fate_on`) for tests."""

    usage: pl.DataFrame
    entitlements: pl.DataFrame
    events: pl.DataFrame
    fates: pl.DataFrame


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC)


def generate(accounts: pl.DataFrame, as_of: date, seed: int = 7) -> DemoUsage:
    """Usage, entitlements and subscription events for `accounts` (`account_id`, `employees`)."""
    rng = np.random.default_rng(seed)
    first_week = as_of - timedelta(days=as_of.weekday() + 7 * WEEKS)
    weeks = [first_week + timedelta(days=7 * k) for k in range(WEEKS + 1)]
    usage_rows: dict[str, list] = {"account_id": [], "metric": [], "value": [], "period_start": []}
    ent_rows: list[dict] = []
    ev_rows: list[dict] = []
    fates = []
    for account_id, employees in accounts.select("account_id", "employees").iter_rows():
        seats = float(max(5, round((employees or 50) * 0.08)))
        start_week = int(rng.integers(0, 8))
        start = weeks[start_week]
        roll = rng.random()
        fate = "churn" if roll < 0.2 else "expansion" if roll < 0.4 else "steady"
        fate_week = int(rng.integers(start_week + 30, WEEKS + 10)) if fate != "steady" else None
        level = rng.uniform(0.55, 0.85)
        mrr = seats * PRICE_PER_SEAT
        plan = "enterprise" if seats >= 40 else "pro"
        ev_rows.append({"account_id": account_id, "kind": "start", "occurred_at": _moment(start),
                        "mrr_before": 0.0, "mrr_after": mrr, "plan": plan})  # fmt: skip
        renewal = start.replace(year=start.year + 1)
        fate_on = weeks[fate_week] if fate_week is not None and fate_week <= WEEKS else None
        if fate_week is not None and fate_week > WEEKS:
            fate_on = weeks[-1] + timedelta(days=7 * (fate_week - WEEKS))
        fates.append({"account_id": account_id, "fate": fate, "fate_on": fate_on})
        valid_to = None
        if fate == "expansion" and fate_on is not None and fate_on <= as_of:
            valid_to = fate_on
        while renewal <= as_of and (fate_on is None or renewal < fate_on):
            ev_rows.append({"account_id": account_id, "kind": "renewal",
                            "occurred_at": _moment(renewal), "mrr_before": mrr,
                            "mrr_after": mrr, "plan": plan})  # fmt: skip
            renewal = renewal.replace(year=renewal.year + 1)
        ent = {"account_id": account_id, "unit": "seats", "metric": "active_users",
               "allowance": seats, "plan": plan, "contract_value": mrr * 12,
               "renewal_on": renewal, "valid_from": start, "valid_to": valid_to}  # fmt: skip
        ent_rows.append(ent)
        ent_rows.append(
            ent | {"metric": "api_calls", "unit": "calls/week", "allowance": seats * 300}
        )
        if valid_to is not None:
            ev_rows.append({"account_id": account_id, "kind": "upgrade",
                            "occurred_at": _moment(valid_to), "mrr_before": mrr,
                            "mrr_after": mrr * 1.5, "plan": plan})  # fmt: skip
            bigger = ent | {"allowance": seats * 1.5, "valid_from": valid_to, "valid_to": None,
                            "contract_value": mrr * 18}  # fmt: skip
            ent_rows.append(bigger)
            ent_rows.append(bigger | {"metric": "api_calls", "unit": "calls/week",
                                      "allowance": seats * 450})  # fmt: skip
        churned = fate == "churn" and fate_on is not None and fate_on <= as_of
        if churned:
            ev_rows.append({"account_id": account_id, "kind": "churn",
                            "occurred_at": _moment(fate_on), "mrr_before": mrr,
                            "mrr_after": 0.0, "plan": plan})  # fmt: skip
        for k in range(start_week, WEEKS + 1):
            if churned and k >= fate_week:
                break
            share = level
            to_fate = (fate_week - k) if fate_week is not None else None
            if fate == "churn" and to_fate is not None and to_fate <= LEAD_WEEKS:
                share = level * (0.15 + 0.85 * to_fate / LEAD_WEEKS)
            elif fate == "expansion" and to_fate is not None:
                if 0 < to_fate <= LEAD_WEEKS:
                    share = level + (1.08 - level) * (1 - to_fate / LEAD_WEEKS)
                elif to_fate <= 0:
                    share = 1.08  # of the old seats: 72% of the new ones
            active = max(0.0, seats * share * rng.normal(1, 0.05))
            reports = (
                0.0
                if (fate == "churn" and to_fate is not None and to_fate <= 8)
                else (active * rng.uniform(1.5, 3))
            )
            for metric, value in (
                ("active_users", round(active, 1)),
                ("logins", round(active * rng.uniform(3, 5), 0)),
                ("reports_run", round(reports, 0)),
                ("api_calls", round(active * rng.uniform(15, 30) * (1 + (share > 1)), 0)),
                ("integrations", float(rng.integers(1, 4)) if share > 0.3 else 0.0),
            ):
                usage_rows["account_id"].append(account_id)
                usage_rows["metric"].append(metric)
                usage_rows["value"].append(float(value))
                usage_rows["period_start"].append(weeks[k])
    usage = pl.DataFrame(usage_rows).with_columns(period=pl.lit("week"))
    date_cols = {"renewal_on": pl.Date, "valid_from": pl.Date, "valid_to": pl.Date}
    return DemoUsage(
        usage=usage,
        entitlements=pl.DataFrame(ent_rows, schema_overrides=date_cols),
        events=pl.DataFrame(ev_rows),
        fates=pl.DataFrame(fates, schema_overrides={"fate_on": pl.Date}),
    )
