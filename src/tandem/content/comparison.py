"""Win rate of deals with an asset against comparable deals without it. Pure (Polars).

Comparable means the same stratum: the same segment and the same close quarter. Within each
stratum the deals whose buying committee consumed the asset before close ("with") are set
against the other deals closed there ("without"); strata where the asset was never consumed
say nothing about it and are left out. The strata are pooled with the Mantel-Haenszel
risk difference, its variance by Greenland and Robins (1985), and a 95% normal interval:

    RD = sum(w_k (p1_k - p0_k)) / sum(w_k),  w_k = n1_k n0_k / N_k
    Var = sum(w_k^2 (p1_k (1 - p1_k) / n1_k + p0_k (1 - p0_k) / n0_k)) / sum(w_k)^2

Below `MIN_DEALS` deals in either arm the row says "too few deals" whatever the interval,
so a small sample never reads as proof.
"""

import polars as pl

#: Fewest deals per arm (with, without) before a difference is reported as a finding.
MIN_DEALS = 30
#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054


def strata(deals: pl.DataFrame) -> pl.DataFrame:
    """Closed deals with their stratum: opportunity_id, is_won, stratum ("segment|YYYY-Qn").

    deals: opportunity_id, segment, closed_at, is_won; deals without a close date are left
    out (no period to compare them in).
    """
    closed = deals.filter(pl.col("closed_at").is_not_null())
    quarter = (
        pl.col("closed_at").dt.year().cast(pl.String)
        + "-Q"
        + pl.col("closed_at").dt.quarter().cast(pl.String)
    )
    return closed.select(
        pl.col("opportunity_id").cast(pl.Int64),
        pl.col("is_won").cast(pl.Boolean),
        (pl.col("segment").cast(pl.String).fill_null("unknown") + "|" + quarter).alias("stratum"),
    )


def compare(stratified: pl.DataFrame, exposure: pl.DataFrame) -> pl.DataFrame:
    """Per asset: both arms' deals and wins, win rates, the pooled difference and its 95% CI.

    stratified: `strata`' output. exposure: (asset_id, opportunity_id) pairs, the deals whose
    committee consumed the asset before close (duplicates are fine). Rates are over the
    compared strata only. ``verdict``: "too few deals", "higher", "lower" or "no clear
    difference" (the interval spans 0).
    """
    totals = stratified.group_by("stratum").agg(
        pl.len().alias("N"), pl.col("is_won").sum().cast(pl.Int64).alias("A")
    )
    exposed = (
        exposure.select(pl.col("asset_id").cast(pl.Int64), pl.col("opportunity_id").cast(pl.Int64))
        .unique()
        .join(stratified, on="opportunity_id")
        .group_by("asset_id", "stratum")
        .agg(pl.len().alias("n1"), pl.col("is_won").sum().cast(pl.Int64).alias("a1"))
        .join(totals, on="stratum")
        .with_columns(
            (pl.col("N") - pl.col("n1")).alias("n0"), (pl.col("A") - pl.col("a1")).alias("a0")
        )
        .with_columns(
            (pl.col("a1") / pl.col("n1")).alias("p1"),
            (pl.col("a0") / pl.col("n0")).alias("p0"),
            (pl.col("n1") * pl.col("n0") / pl.col("N")).alias("w"),
        )
    )
    informative = (pl.col("n0") > 0).cast(pl.Float64)  # a stratum nobody lacked it in is mute
    var_k = pl.col("p1") * (1 - pl.col("p1")) / pl.col("n1") + (
        pl.col("p0") * (1 - pl.col("p0")) / pl.col("n0")
    ).fill_nan(0.0)
    rows = exposed.group_by("asset_id").agg(
        (pl.col("n1") * informative).sum().cast(pl.Int64).alias("deals_with"),
        (pl.col("a1") * informative).sum().cast(pl.Int64).alias("won_with"),
        pl.col("n0").sum().alias("deals_without"),
        pl.col("a0").sum().alias("won_without"),
        (pl.col("n0") > 0).sum().cast(pl.Int64).alias("strata"),
        (pl.col("w") * (pl.col("p1") - pl.col("p0").fill_nan(0.0))).sum().alias("_num"),
        pl.col("w").sum().alias("_den"),
        (pl.col("w") ** 2 * var_k).sum().alias("_var"),
    )
    difference = pl.when(pl.col("_den") > 0).then(pl.col("_num") / pl.col("_den"))
    se = pl.when(pl.col("_den") > 0).then(pl.col("_var").sqrt() / pl.col("_den"))
    out = rows.with_columns(
        _rate("won_with", "deals_with").alias("win_rate_with"),
        _rate("won_without", "deals_without").alias("win_rate_without"),
        difference.alias("difference"),
        (difference - Z95 * se).alias("ci_low"),
        (difference + Z95 * se).alias("ci_high"),
    ).drop("_num", "_den", "_var")
    enough = (pl.col("deals_with") >= MIN_DEALS) & (pl.col("deals_without") >= MIN_DEALS)
    verdict = (
        pl.when(~enough | pl.col("difference").is_null())
        .then(pl.lit("too few deals"))
        .when(pl.col("ci_low") > 0)
        .then(pl.lit("higher"))
        .when(pl.col("ci_high") < 0)
        .then(pl.lit("lower"))
        .otherwise(pl.lit("no clear difference"))
    )
    return out.with_columns(enough.alias("enough"), verdict.alias("verdict")).sort("asset_id")


def _rate(wins: str, deals: str) -> pl.Expr:
    return pl.when(pl.col(deals) > 0).then(pl.col(wins) / pl.col(deals))
