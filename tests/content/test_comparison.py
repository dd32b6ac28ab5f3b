"""With/without comparison: checked against an independent computation with a planted effect."""

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from tandem.content.comparison import MIN_DEALS, compare, strata

PLANTED, NEUTRAL, RARE = 1, 2, 3
LIFT = 0.20


def _generated(seed=7, n=6000):
    """Deals over 3 segments x 4 quarters. Enterprise wins more and reads more content: a
    naive with/without difference for the neutral asset is confounded, the stratified one not."""
    rng = np.random.default_rng(seed)
    segments = rng.choice(["smb", "mid", "enterprise"], size=n)
    quarter_start = [datetime(2026, m, 1, tzinfo=UTC) for m in (1, 4, 7, 10)]
    quarter = rng.integers(0, 4, size=n)
    base = np.select([segments == "smb", segments == "mid"], [0.15, 0.3], 0.45) + quarter * 0.02
    reads = np.select([segments == "smb", segments == "mid"], [0.2, 0.4], 0.7)
    planted = rng.random(n) < 0.35
    neutral = rng.random(n) < reads
    rare = rng.random(n) < 0.004
    won = rng.random(n) < base + LIFT * planted
    deals = pl.DataFrame(
        {
            "opportunity_id": np.arange(1, n + 1),
            "segment": segments,
            "closed_at": [
                quarter_start[q] + timedelta(days=int(d))
                for q, d in zip(quarter, rng.integers(0, 80, n), strict=True)
            ],
            "is_won": won,
        }
    )
    pairs = [
        (a, i + 1)
        for a, flags in ((PLANTED, planted), (NEUTRAL, neutral), (RARE, rare))
        for i in np.flatnonzero(flags)
    ]
    exposure = pl.DataFrame(pairs, schema=["asset_id", "opportunity_id"], orient="row")
    return deals, exposure


def _independent(deals: pl.DataFrame, exposure: pl.DataFrame, asset: int) -> dict:
    """The Mantel-Haenszel risk difference with the Greenland-Robins variance, by hand."""
    frame = deals.to_pandas()
    frame["stratum"] = (
        frame["segment"]
        + frame["closed_at"].dt.quarter.astype(str)
        + frame["closed_at"].dt.year.astype(str)
    )
    exposed = set(exposure.filter(pl.col("asset_id") == asset)["opportunity_id"].to_list())
    frame["x"] = frame["opportunity_id"].isin(exposed)
    num = den = var = 0.0
    n_with = n_without = 0
    for _, g in frame.groupby("stratum"):
        a, b = g[g.x], g[~g.x]
        if len(a) == 0 or len(b) == 0:
            continue
        n1, n0 = len(a), len(b)
        p1, p0 = a.is_won.mean(), b.is_won.mean()
        w = n1 * n0 / (n1 + n0)
        num += w * (p1 - p0)
        den += w
        var += w * w * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        n_with += n1
        n_without += n0
    rd = num / den
    se = math.sqrt(var) / den
    return {
        "difference": rd,
        "ci_low": rd - 1.959963984540054 * se,
        "ci_high": rd + 1.959963984540054 * se,
        "deals_with": n_with,
        "deals_without": n_without,
    }


def test_matches_the_independent_computation():
    deals, exposure = _generated()
    rows = {r["asset_id"]: r for r in compare(strata(deals), exposure).iter_rows(named=True)}
    for asset in (PLANTED, NEUTRAL):
        expected = _independent(deals, exposure, asset)
        for key, value in expected.items():
            assert math.isclose(rows[asset][key], value, rel_tol=1e-9, abs_tol=1e-12), (asset, key)


def test_finds_the_planted_effect_and_not_the_confounded_one():
    deals, exposure = _generated()
    rows = {r["asset_id"]: r for r in compare(strata(deals), exposure).iter_rows(named=True)}
    planted, neutral = rows[PLANTED], rows[NEUTRAL]
    assert planted["verdict"] == "higher"
    assert planted["ci_low"] < LIFT < planted["ci_high"]
    # Naively the neutral asset looks good (its readers sit in the segment that wins most)...
    pdf = deals.to_pandas()
    seen = pdf.opportunity_id.isin(
        exposure.filter(pl.col("asset_id") == NEUTRAL)["opportunity_id"].to_list()
    )
    assert pdf[seen].is_won.mean() - pdf[~seen].is_won.mean() > 0.05
    # ...compared within segment and quarter it shows nothing.
    assert neutral["verdict"] == "no clear difference"
    assert neutral["ci_low"] < 0 < neutral["ci_high"]


def test_a_small_sample_never_reads_as_proof():
    deals, exposure = _generated()
    rare = compare(strata(deals), exposure).filter(pl.col("asset_id") == RARE).row(0, named=True)
    assert rare["deals_with"] < MIN_DEALS
    assert rare["verdict"] == "too few deals" and not rare["enough"]
    assert rare["win_rate_with"] is not None  # the figures are shown, with their sample sizes


def test_strata_where_everyone_saw_it_are_left_out():
    t = datetime(2026, 2, 1, tzinfo=UTC)
    deals = pl.DataFrame(
        {
            "opportunity_id": [1, 2, 3, 4],
            "segment": ["a", "a", "b", "b"],
            "closed_at": [t] * 4,
            "is_won": [True, False, True, False],
        }
    )
    exposure = pl.DataFrame({"asset_id": [9, 9, 9], "opportunity_id": [1, 3, 4]})
    row = compare(strata(deals), exposure).row(0, named=True)
    assert (row["deals_with"], row["deals_without"], row["strata"]) == (1, 1, 1)
    assert row["difference"] == 1.0
