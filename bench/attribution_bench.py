"""Attribution benchmark: 100,000 won opportunities x ~30 touches, every model, vs references.

    .venv/bin/python bench/attribution_bench.py                 # the documented run
    .venv/bin/python bench/attribution_bench.py --journeys 10000 --skip-reference

Generates seeded synthetic journeys directly as polars frames (the shape the DB layer
queries), times each Tandem model, the whole `attribute` call and the aggregations, then runs
ChannelAttribution (heuristic_models, markov_model order 1) and marketing-attribution-models
(`mam`) on the same paths, and prints markdown tables of timings and agreement.
"""

import argparse
import contextlib
import io
import os
import platform
import time
from datetime import UTC, datetime

import numpy as np
import polars as pl

from tandem import attribution as ta
from tandem.attribution.money import allocate_cents

CHANNELS = (
    "organic_search",
    "paid_search",
    "paid_social",
    "organic_social",
    "email",
    "display",
    "events",
    "webinar",
    "referral",
    "direct",
    "content_syndication",
    "partner",
    "sales_outreach",
    "other",
)
SOURCES = ("google", "linkedin", "newsletter", "partner_portal", "g2", "direct")
EARLY = np.array([14, 12, 10, 8, 6, 8, 3, 4, 5, 6, 5, 3, 2, 1], dtype=float)
LATE = np.array([4, 5, 3, 3, 12, 2, 6, 9, 3, 5, 2, 4, 16, 1], dtype=float)


def generate(journeys: int, lost: int, mean_touches: float, seed: int):
    """Seeded opportunities and their contacts' activities: `journeys` won, `lost` not.

    Activity ages are spread over 200 days before opportunity creation, so about 10% fall
    outside the 180-day window; raw journeys average `mean_touches` / 0.9 activities.
    """
    rng = np.random.default_rng(seed)
    n = journeys + lost
    lengths = rng.poisson(mean_touches / 0.9 - 1, n) + 1
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    total = int(offsets[-1])
    journey = np.repeat(np.arange(n), lengths)
    age = rng.uniform(0, 200 * 86400, total)
    late = age < 100 * 86400  # later touches lean to sales and email
    channel = np.where(
        late,
        rng.choice(14, total, p=LATE / LATE.sum()),
        rng.choice(14, total, p=EARLY / EARLY.sum()),
    )
    created_s = datetime(2024, 1, 1, tzinfo=UTC).timestamp() + rng.uniform(0, 365 * 86400, n)
    mql_s = created_s - rng.uniform(0, 120 * 86400, n)
    campaign = np.where(np.isin(channel, (0, 9)), -1, channel * 10 + rng.integers(0, 10, total))
    asset = np.where(rng.uniform(size=total) < 0.3, rng.integers(0, 500, total), -1)

    def utc(seconds: np.ndarray) -> pl.Series:
        return pl.Series((seconds * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC"))

    activities = pl.DataFrame(
        {
            "opportunity_id": journey,
            "activity_id": np.arange(total),
            "occurred_at": utc(created_s[journey] - age),
            "channel": pl.Series(channel.astype(np.uint32)).replace_strict(
                dict(enumerate(CHANNELS)), return_dtype=pl.String
            ),
            "campaign_id": pl.Series(campaign).replace(-1, None),
            "asset_id": pl.Series(asset).replace(-1, None),
            "team": np.where(channel == 12, "sales", "marketing"),
            "source": pl.Series(
                rng.integers(0, len(SOURCES), total).astype(np.uint32)
            ).replace_strict(dict(enumerate(SOURCES)), return_dtype=pl.String),
        }
    )
    amount = np.round(rng.lognormal(np.log(25_000), 0.8, n), 2)
    opportunities = pl.DataFrame(
        {
            "opportunity_id": np.arange(n),
            "created_at": utc(created_s),
            "mql_at": utc(mql_s),
            "amount_cents": (amount * 100).round().astype(np.int64),
            "converted": np.arange(n) < journeys,
        }
    ).with_columns(pl.col("created_at").alias("as_of"))
    return opportunities, activities


def timed(label, fn, rows):
    start = time.perf_counter()
    value = fn()
    rows.append((label, time.perf_counter() - start))
    return value


def path_frame(batch):
    """One row per journey: ChannelAttribution's path string, conversions, value, nulls."""
    names = np.array(batch.channels)
    hours = (np.repeat(batch.as_of_s, batch.lengths) - batch.occurred_s) / 3600
    paths = (
        pl.DataFrame(
            {
                "j": batch.journey_of_touch,
                "c": names[batch.channel_code],
                "h": np.maximum(hours, 0).round(6).astype(str),
            }
        )
        .group_by("j", maintain_order=True)
        .agg(pl.col("c").str.join(" > "), pl.col("h").str.join(" > "))
    )
    conv = batch.converted.astype(int)
    return pl.DataFrame(
        {
            "path": paths["c"],
            "time_till_end": paths["h"],
            "total_conversions": conv,
            "total_conversion_value": batch.amount_cents / 100 * conv,
            "total_null": 1 - conv,
        }
    ).to_pandas()


def _relative(ours: dict, ref: dict) -> float:
    """Largest relative difference over channels (our per-touch cent rounding included)."""
    return max(abs(ours[c] - ref[c]) / abs(ref[c]) for c in ref if ref[c])


def references(batch, ours, rows, agreement):
    """Time ChannelAttribution and mam on the same paths; record agreement with our totals."""
    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution as ca  # prints a banner on import
        import mam
    df = path_frame(batch)
    with contextlib.redirect_stdout(io.StringIO()):
        heur = timed(
            "ChannelAttribution heuristic_models (first, last, linear)",
            lambda: ca.heuristic_models(
                df, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
            ),
            rows,
        )
        has_null = df["total_null"].sum() > 0
        mark = timed(
            "ChannelAttribution markov_model order 1 (simulation)",
            lambda: ca.markov_model(
                df,
                "path",
                "total_conversions",
                var_value="total_conversion_value",
                var_null="total_null" if has_null else None,
                order=1,
                seed=0,
                verbose=False,
                flg_pro=False,
            ),
            rows,
        )
    for model, column in (
        ("first_touch", "first_touch_value"),
        ("last_touch", "last_touch_value"),
        ("linear", "linear_touch_value"),
    ):
        ref = dict(zip(heur["channel_name"], heur[column], strict=True))
        agreement.append((f"{model} vs CA heuristic_models", _relative(ours[model], ref)))
    fitted = ta.markov_attribution(batch.to_paths())
    ca_value = dict(zip(mark["channel_name"], mark["total_conversion_value"], strict=True))
    ours_value = dict(zip(fitted.channels, fitted.value, strict=True))
    big = {c: v for c, v in ca_value.items() if v >= 0.05 * sum(ca_value.values())}
    agreement.append(
        (
            "markov channel value (exact) vs CA markov_model (simulated), all channels",
            _relative(ours_value, ca_value),
        )
    )
    agreement.append(
        (
            "markov channel value (exact) vs CA markov_model (simulated), channels >= 5%",
            _relative(ours_value, big),
        )
    )
    mdf = df.assign(journey_id=range(len(df)), has_conv=df.total_conversions > 0)
    model = timed(
        "mam MAM() preprocessing",
        lambda: mam.MAM(
            mdf,
            format_type="journey",
            channels_colname="path",
            journey_with_conv_colname="has_conv",
            user_id_colname="journey_id",
            time_till_conv_colname="time_till_end",
            conversion_value_colname="total_conversion_value",
        ),
        rows,
    )
    for label, run in (
        ("first_click", model.run_first_click),
        ("last_click", model.run_last_click),
        ("linear", model.run_linear),
        ("position_based", model.run_position_based),
        ("time_decay", model.run_time_decay),
        ("markov", model.run_markov),
        ("shapley (max_size=4)", model.run_shapley),
    ):
        result = timed(f"mam run_{label}", run, rows)
        if label in ("position_based", "time_decay"):
            mine = "u_shaped" if label == "position_based" else "time_decay"
            agg = result.to_polars()
            ref = dict(zip(agg["channels"].cast(pl.String), agg["attribution"], strict=True))
            agreement.append((f"{mine} vs mam run_{label}", _relative(ours[mine], ref)))
        if label == "markov":
            re = result.metadata["removal_effect"]["removal_effect"]
            diff = max(
                abs(re[c] - r) for c, r in zip(fitted.channels, fitted.removal_effects, strict=True)
            )
            agreement.append(("markov removal effects vs mam (absolute)", diff))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=100_000, help="won opportunities")
    parser.add_argument("--lost", type=int, default=0, help="extra non-converting journeys")
    parser.add_argument("--touches", type=float, default=30.0, help="mean touches per journey")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    config = ta.default_config()
    opportunities, activities = generate(args.journeys, args.lost, args.touches, args.seed)
    rows: list[tuple[str, float]] = []
    start = time.perf_counter()
    touches = timed(
        "select_touchpoints_frame (180-day window, milestones)",
        lambda: ta.select_touchpoints_frame(
            activities,
            opportunities.select("opportunity_id", "created_at", "mql_at"),
            lookback_days=config.window.lookback_days,
        ),
        rows,
    )
    batch = timed(
        "batch_from_frames (sort, encode)",
        lambda: ta.batch_from_frames(
            opportunities.select("opportunity_id", "amount_cents", "converted", "as_of"), touches
        ),
        rows,
    )
    result = timed(
        "attribute(): all 9 models, exact cents", lambda: ta.attribute(batch, config=config), rows
    )
    by_channel = timed(
        "aggregate by campaign, channel, asset, team, source",
        lambda: [
            ta.aggregate(result, by=d) for d in ("campaign", "channel", "asset", "team", "source")
        ],
        rows,
    )[1]
    rows.append(("**Tandem total (the four steps above)**", time.perf_counter() - start))
    print(
        f"{args.journeys:,} won + {args.lost:,} lost journeys; {activities.height:,} "
        f"activities, {touches.height:,} touchpoints in the window; Python "
        f"{platform.python_version()}, polars threads {pl.thread_pool_size()}, "
        f"{os.cpu_count()} CPUs\n"
    )
    amount = np.where(batch.converted, batch.amount_cents, 0)
    for name in ta.available(config):
        timed(
            f"of which model {name} (weights + cents)",
            lambda name=name: allocate_cents(
                amount, ta.resolve(name, config)(batch, config), batch.offsets
            ),
            rows,
        )
    ours = {m: {r.key: float(r.credits[m]) for r in by_channel} for m in result.models}
    agreement: list[tuple[str, float]] = []
    if not args.skip_reference:
        references(batch, ours, rows, agreement)
    print("| step | seconds |\n| --- | ---: |")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} |")
    if agreement:
        print("\n| channel totals: Tandem vs reference | max relative difference |\n| --- | ---: |")
        for label, value in agreement:
            print(f"| {label} | {value:.3g} |")


if __name__ == "__main__":
    main()
