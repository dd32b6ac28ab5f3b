"""Content analytics at scale; the figures are in docs/benchmarks.md ("Content").

    .venv/bin/python bench/content_bench.py                  # 1M contacts, 20M activities,
                                                             # 50,000 deals, 2,000 assets
    .venv/bin/python bench/content_bench.py --scale 0.001    # a smoke run in seconds

The world is generated directly as Polars frames (not through the store), the shape
`tandem.content.frames` reads from the columnar copy: contacts on accounts, activities of which
a quarter carry an asset, deals with contact roles on most (the rest fall back to the account's
contacts), and the library. Timed: influence of every asset under every attribution model for
all won deals (committee, touches before close, the batch, every model, per asset), the same
heuristic models by a straightforward pandas `groupby().apply` on the same rows (the pandas
join included), the with/without comparison, the gap matrix, the unused list, and the next best
content backtest.
"""

import argparse
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from attribution_bench import pandas_heuristics

from tandem.attribution import default_config
from tandem.content import comparison, gaps, influence, suggest

TS = pl.Datetime("us", "UTC")
START = datetime(2024, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_US = int((AS_OF - START).total_seconds() * 1e6)
DAY_US = 86_400_000_000
STAGES = gaps.JOURNEY_STAGES
PERSONAS = ("cfo", "cto", "it_manager", "developer", "procurement", "ceo", "ops")
TYPES = ("whitepaper", "case_study", "webinar", "video", "ebook", "datasheet", "demo")
SEGMENTS = ("smb", "mid_market", "enterprise")


def _ts(us: np.ndarray) -> pl.Series:
    return pl.Series(us.astype(np.int64)).cast(TS)


def world(scale: float, seed: int = 1) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    n_contacts, n_activities = int(1_000_000 * scale), int(20_000_000 * scale)
    n_deals, n_assets = max(int(50_000 * scale), 200), max(int(2_000 * scale), 20)
    n_accounts = max(n_contacts // 10, 50)
    contacts = pl.DataFrame(
        {
            "contact_id": np.arange(1, n_contacts + 1),
            "account_id": rng.integers(1, n_accounts + 1, n_contacts),
        }
    )
    # Reading is skewed: a few assets are read by many (Zipf-like popularity).
    popularity = 1.0 / np.arange(1, n_assets + 1) ** 0.8
    content = rng.random(n_activities) < 0.25
    asset = rng.choice(np.arange(1, n_assets + 1), n_activities, p=popularity / popularity.sum())
    activities = pl.DataFrame(
        {
            "activity_id": np.arange(1, n_activities + 1),
            "contact_id": rng.integers(1, n_contacts + 1, n_activities),
            "asset_id": pl.Series(np.where(content, asset, 0)).replace(0, None),
            "occurred_at": _ts(START.timestamp() * 1e6 + rng.integers(0, SPAN_US, n_activities)),
        }
    )
    created = START.timestamp() * 1e6 + rng.integers(0, SPAN_US - 60 * DAY_US, n_deals)
    closed = created + rng.integers(10 * DAY_US, 200 * DAY_US, n_deals)
    is_closed = closed < AS_OF.timestamp() * 1e6
    segment = rng.choice(SEGMENTS, n_deals)
    amount = np.round(rng.lognormal(10, 1, n_deals) * 100).astype(np.int64)
    deals = pl.DataFrame(
        {
            "opportunity_id": np.arange(1, n_deals + 1),
            "account_id": rng.integers(1, n_accounts + 1, n_deals),
            "segment": segment,
            "amount_cents": pl.Series(amount).scatter(
                np.flatnonzero(rng.random(n_deals) < 0.02), None
            ),
            "created_at": _ts(created),
            "closed_at": _ts(closed).scatter(np.flatnonzero(~is_closed), None),
            "is_closed": is_closed,
            "is_won": is_closed & (rng.random(n_deals) < 0.3),
        }
    )
    # 70% of deals have three contact roles picked from their account's contacts.
    with_roles = deals.filter(pl.Series(rng.random(n_deals) < 0.7)).select(
        "opportunity_id", "account_id"
    )
    roles = (
        with_roles.join(contacts, on="account_id")
        .with_columns(pl.int_range(pl.len()).over("opportunity_id").alias("_k"))
        .filter(pl.col("_k") < 3)
        .select("opportunity_id", "contact_id")
    )
    assets = pl.DataFrame(
        {
            "asset_id": np.arange(1, n_assets + 1),
            "type": rng.choice(TYPES, n_assets),
            "journey_stage": rng.choice(STAGES, n_assets, p=[0.35, 0.3, 0.25, 0.05, 0.05]),
            "personas": [
                list(rng.choice(PERSONAS, rng.integers(0, 3), replace=False))
                for _ in range(n_assets)
            ],
            "products": [
                list(rng.choice(["core", "analytics", "api"], 1)) for _ in range(n_assets)
            ],
            "status": rng.choice(["live", "archived", "draft"], n_assets, p=[0.8, 0.15, 0.05]),
        },
        schema_overrides={"personas": pl.List(pl.String), "products": pl.List(pl.String)},
    )
    deal_uses = pl.DataFrame(
        {
            "asset_id": rng.integers(1, n_assets + 1, n_deals // 10),
            "created_at": _ts(START.timestamp() * 1e6 + rng.integers(0, SPAN_US, n_deals // 10)),
        }
    )
    shares = pl.DataFrame(
        {
            "asset_id": rng.integers(1, n_assets + 1, n_assets * 5),
            "created_at": _ts(START.timestamp() * 1e6 + rng.integers(0, SPAN_US, n_assets * 5)),
        }
    )
    # Stays in the lifecycle, one open stay per contact (enough for the stall weights).
    life = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "nurture")
    entered = AS_OF.timestamp() * 1e6 - rng.integers(0, 300 * DAY_US, n_contacts)
    stays = pl.DataFrame(
        {
            "contact_id": contacts["contact_id"],
            "stage": rng.choice(life, n_contacts),
            "entered_at": _ts(entered),
            "days": np.where(rng.random(n_contacts) < 0.6, rng.exponential(30, n_contacts), np.nan),
        }
    )
    return {
        "contacts": contacts,
        "activities": activities,
        "deals": deals,
        "roles": roles,
        "assets": assets,
        "shares": shares,
        "deal_uses": deal_uses,
        "stays": stays,
    }


class Timer:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float]] = []

    def __call__(self, label, fn):
        start = time.perf_counter()
        value = fn()
        self.rows.append((label, time.perf_counter() - start))
        print(f"  {label}: {self.rows[-1][1]:.2f} s", flush=True)
        return value


def influence_all(w) -> influence.Influence:
    members = influence.committee(w["roles"], w["deals"], w["contacts"])
    content = w["activities"].drop_nulls("asset_id")
    touched = influence.touches(content, members, w["deals"])
    return influence.influence(w["deals"], touched, config=default_config()), touched


def pandas_influence(w) -> dict:
    """The straightforward way: pandas merges and filters, then one function per deal."""
    config = default_config()
    content = w["activities"].drop_nulls("asset_id").to_pandas()
    roles = w["roles"].to_pandas()
    deals = w["deals"].to_pandas()
    contacts = w["contacts"].to_pandas()
    with_roles = set(roles["opportunity_id"])
    fallback = deals[~deals["opportunity_id"].isin(with_roles)][["opportunity_id", "account_id"]]
    fallback = fallback.merge(contacts, on="account_id")[["opportunity_id", "contact_id"]]
    import pandas as pd

    members = pd.concat([roles, fallback]).drop_duplicates()
    won = deals[deals["is_won"] & deals["amount_cents"].notna()]
    rows = content.merge(members, on="contact_id").merge(
        won[["opportunity_id", "created_at", "closed_at", "amount_cents"]], on="opportunity_id"
    )
    rows = rows[rows["occurred_at"] < rows["closed_at"]].sort_values(
        ["opportunity_id", "occurred_at", "activity_id"]
    )
    grouped = rows.groupby("opportunity_id")
    first = grouped.cumcount() == 0
    last = grouped.cumcount(ascending=False) == 0
    before = rows["occurred_at"] <= rows["created_at"]
    next_after = (
        rows.groupby("opportunity_id")["occurred_at"].shift(-1) > rows["created_at"]
    ) | last
    rows["milestones"] = first * 1 + (before & next_after) * 4 + last * 8
    rows["channel"] = rows["asset_id"]
    rows["as_of"] = rows["closed_at"]
    amounts = rows.groupby("opportunity_id", as_index=False)["amount_cents"].first()
    amounts["amount"] = amounts["amount_cents"] / 100
    return pandas_heuristics(
        rows, amounts[["opportunity_id", "amount"]], config.time_decay.half_life_days
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()
    timer = Timer()
    print(f"generating the world at scale {args.scale} ...", flush=True)
    w = timer("generate the world (not a figure)", lambda: world(args.scale))
    print({k: v.height for k, v in w.items()}, flush=True)
    result, touched = timer(
        "influence: every asset, every model, all won deals", lambda: influence_all(w)
    )
    print(
        f"  won deals {result.won_deals:,}, credited {result.credited_deals:,}, unknown amount "
        f"{result.unknown_amount:,}, no content {result.without_content:,}; touches "
        f"{touched.height:,}, credited touches {result.credits.height:,}; "
        f"models {len(result.models)}",
        flush=True,
    )
    if not args.skip_pandas:
        pandas = timer("pandas: the 7 heuristic models, same rows", lambda: pandas_influence(w))
        ours = result.by_asset.select("asset_id", "linear").to_dict(as_series=False)
        ours = dict(zip(ours["asset_id"], ours["linear"], strict=True))
        theirs = pandas["linear"]
        worst = max(abs(ours.get(k, 0) / 100 - v) for k, v in theirs.items())
        print(f"  linear credit per asset, largest difference from pandas: {worst:.2f}", flush=True)
    exposure = touched.select("asset_id", "opportunity_id").unique()
    timer(
        "with/without comparison, every asset",
        lambda: comparison.compare(comparison.strata(w["deals"]), exposure),
    )
    live_assets = w["assets"]
    stalled = timer(
        "stall weights (stays, deals)", lambda: gaps.stalls(w["stays"], w["deals"], AS_OF)
    )
    matrix = timer(
        "gap matrix stage x persona x product",
        lambda: gaps.gap_matrix(live_assets, stalled, by_product=True),
    )
    print(matrix.head(3), flush=True)
    content = w["activities"].drop_nulls("asset_id").select("asset_id", "occurred_at")
    listed = timer(
        "unused list (purge rule, 6 months)",
        lambda: gaps.unused(live_assets, content, w["shares"], w["deal_uses"], AS_OF),
    )
    print(f"  unused: {listed.height}", flush=True)
    order = timer("reading order of won deals", lambda: suggest.reading_order(touched, w["deals"]))
    bt = timer(
        "next best content backtest (fit + rank)",
        lambda: suggest.backtest(order, AS_OF - timedelta(days=150)),
    )
    print(f"  {bt}", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        f"Python {platform.python_version()}, polars {pl.__version__}, {os.cpu_count()} CPUs, "
        f"peak RSS {rss:.1f} GB"
    )
    print("| step | seconds |\n| --- | ---: |")
    for label, seconds in timer.rows:
        print(f"| {label} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
