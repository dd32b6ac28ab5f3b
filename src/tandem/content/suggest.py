"""Next best content: what buyers like this one read next on the way to a won deal. Pure.

The model is counted from won deals: for each, the order in which its buying committee first
consumed each asset before close. For a contact or deal that has seen assets S, a candidate b
(not in S) scores by its best "after" rule: of the n_a won deals in the same segment that saw
a (in S), n_ab saw b after a; the score is n_ab / (n_a + PRIOR), so 7 of 9 beats 1 of 1. Rules
need `MIN_SUPPORT` deals. When the rules give fewer than k suggestions, the most consumed
assets of the segment's won deals fill the list, ranked below every rule. A segment with fewer
than `MIN_SEGMENT_DEALS` won deals borrows the model of all segments. Every suggestion says
why in counts ("7 of 9 won deals in this segment saw it after Pricing").

`backtest` replays history with a time split: counted from deals won before `cut`, it asks
for each deal won after it, shown the first half of its committee's reading, what comes next,
and scores a hit when the asset actually read next is in the top k; the baseline suggests the
most popular assets (most won deals before `cut`), also without what was seen.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

#: Won deals that must share a rule before it is used.
MIN_SUPPORT = 2
#: Pseudo-count against small samples: a rule seen 1 of 1 times scores 1/3, 7 of 9 scores 7/11.
PRIOR = 2
#: Won deals a segment needs to have its own model; below, all segments' model is used.
MIN_SEGMENT_DEALS = 20
#: The segment key of the model over all segments.
ALL = "*"
K = 3


@dataclass(frozen=True, eq=False)
class SequenceModel:
    """Won deals' reading order, per segment and again under segment ``ALL``, and counts."""

    order: pl.DataFrame  # opportunity_id, segment, asset_id, position (segment ALL repeated)
    seen: pl.DataFrame  # segment, a, n_a: won deals that saw a
    deals: pl.DataFrame  # segment, n: won deals


@dataclass(frozen=True, slots=True)
class Suggestion:
    asset_id: int
    score: float
    because: str  # the explanation, in counts
    after_asset_id: int | None  # the seen asset the rule starts from; None for popularity


@dataclass(frozen=True, slots=True)
class Backtest:
    cut: datetime
    train_deals: int
    test_deals: int
    k: int
    hit_rate: float | None
    popular_hit_rate: float | None


def reading_order(touched: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """First consumption of each asset per won deal: opportunity_id, segment, closed_at,
    asset_id, first_at, position (0-based, in time order; ties by asset id).

    touched: opportunity_id, asset_id, occurred_at (before close, as `influence.touches`
    gives). deals: opportunity_id, segment, closed_at, is_won.
    """
    won = deals.filter(pl.col("is_won").cast(pl.Boolean), pl.col("closed_at").is_not_null()).select(
        pl.col("opportunity_id").cast(pl.Int64),
        pl.col("segment").cast(pl.String).fill_null("unknown"),
        pl.col("closed_at"),
    )
    return (
        touched.group_by("opportunity_id", "asset_id")
        .agg(pl.col("occurred_at").min().alias("first_at"))
        .join(won, on="opportunity_id")
        .sort("opportunity_id", "first_at", "asset_id")
        .with_columns(pl.int_range(pl.len()).over("opportunity_id").alias("position"))
    )


def fit(order: pl.DataFrame) -> SequenceModel:
    """The model from `reading_order` rows (of won deals). Rules are counted when asked, for
    the assets a query has seen only (`rules`)."""
    both = pl.concat([order, order.with_columns(pl.lit(ALL).alias("segment"))]).select(
        "opportunity_id", "segment", "asset_id", "position"
    )
    seen = both.group_by("segment", pl.col("asset_id").alias("a")).agg(
        pl.len().cast(pl.Int64).alias("n_a")
    )
    deals = both.group_by("segment").agg(
        pl.col("opportunity_id").n_unique().cast(pl.Int64).alias("n")
    )
    return SequenceModel(order=both, seen=seen, deals=deals)


def rules(model: SequenceModel, starts: pl.DataFrame) -> pl.DataFrame:
    """segment, a, b, n_ab: won deals of the segment that saw b after a, for the (segment, a)
    pairs of `starts`, kept from MIN_SUPPORT deals."""
    left = model.order.join(
        starts.select("segment", pl.col("a").alias("asset_id")).unique(),
        on=["segment", "asset_id"],
    ).select(
        "opportunity_id", "segment", pl.col("asset_id").alias("a"), pl.col("position").alias("pa")
    )
    right = model.order.select(
        "opportunity_id", "segment", pl.col("asset_id").alias("b"), pl.col("position").alias("pb")
    )
    return (
        left.join(right, on=["opportunity_id", "segment"])
        .filter(pl.col("pb") > pl.col("pa"))
        .group_by("segment", "a", "b")
        .agg(pl.len().cast(pl.Int64).alias("n_ab"))
        .filter(pl.col("n_ab") >= MIN_SUPPORT)
    )


def model_segment(model: SequenceModel, segment: str | None) -> str:
    """The segment whose counts answer for `segment`: its own, or all when it has too few."""
    row = model.deals.filter(pl.col("segment") == (segment or "unknown"))
    return segment or "unknown" if row.height and row["n"][0] >= MIN_SEGMENT_DEALS else ALL


def rank(
    model: SequenceModel,
    queries: pl.DataFrame,
    k: int = K,
    allowed: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Top `k` suggestions per query. queries: query, segment (a model segment), asset_id (one
    row per asset seen; a query without any has one row with a null asset_id). `allowed`
    (default: any) limits what may be suggested, e.g. to live assets. Returns query,
    asset_id, score, n_ab, n_a, after (asset id or null; its rule has the best share),
    followed (how many of the assets seen it followed), n_segment, segment, rank."""
    queries = queries.with_columns(
        pl.col("asset_id").cast(pl.Int64), pl.col("segment").cast(pl.String)
    )
    seen = queries.drop_nulls("asset_id").select("query", "asset_id")
    starts = queries.drop_nulls("asset_id").select(
        "query", "segment", pl.col("asset_id").alias("a")
    )
    sizes = starts.group_by("query").agg(pl.len().alias("_seen"))
    # A candidate scores the mean over the assets seen of P(read after it) (n_ab / (n_a +
    # PRIOR)), so every step of the path so far counts; the best single rule explains it.
    matched = (
        starts.join(rules(model, starts), on=["segment", "a"])
        .join(model.seen, on=["segment", "a"])
        .with_columns((pl.col("n_ab") / (pl.col("n_a") + PRIOR)).alias("_p"))
        .sort("query", "b", "_p", "n_ab", "a", descending=[False, False, True, True, False])
    )
    by_rule = (
        matched.group_by("query", "segment", "b", maintain_order=True)
        .agg(
            pl.col("_p").sum().alias("_sum"),
            pl.col("n_ab").first(),
            pl.col("n_a").first(),
            pl.col("a").first().alias("after"),
            pl.len().alias("followed"),
        )
        .join(sizes, on="query")
        .select(
            "query",
            "segment",
            pl.col("b").alias("asset_id"),
            (pl.col("_sum") / pl.col("_seen")).alias("score"),
            "n_ab",
            "n_a",
            "after",
            "followed",
        )
    )
    segments = queries.select("query", "segment").unique()
    popular = (
        segments.join(model.seen, on="segment")
        .join(model.deals, on="segment")
        .select(
            "query",
            "segment",
            pl.col("a").alias("asset_id"),
            # Below every rule (scores are in [0, 1)): popularity only fills the list.
            (pl.col("n_a") / pl.col("n") - 1.0).alias("score"),
            pl.col("n_a").alias("n_ab"),
            pl.col("n").alias("n_a"),
            pl.lit(None, pl.Int64).alias("after"),
            pl.lit(0, pl.UInt32).alias("followed"),
        )
    )
    pool = pl.concat([by_rule, popular])
    if allowed is not None:
        pool = pool.filter(pl.col("asset_id").is_in(list(allowed)))
    candidates = (
        pool.join(seen, on=["query", "asset_id"], how="anti")
        .sort("query", "score", "n_ab", "asset_id", descending=[False, True, True, False])
        .unique(["query", "asset_id"], keep="first", maintain_order=True)
        .with_columns(pl.int_range(pl.len()).over("query").alias("rank"))
        .filter(pl.col("rank") < k)
    )
    return candidates.join(model.deals.rename({"n": "n_segment"}), on="segment", how="left")


def suggest(
    model: SequenceModel,
    seen: Sequence[int],
    segment: str | None,
    titles: Mapping[int, str],
    k: int = K,
    allowed: Sequence[int] | None = None,
) -> list[Suggestion]:
    """The next `k` assets for someone in `segment` who has seen `seen`, each explained."""
    key = model_segment(model, segment)
    rows = seen or [None]
    queries = pl.DataFrame(
        {"query": [0] * len(rows), "segment": [key] * len(rows), "asset_id": list(rows)},
        schema={"query": pl.Int64, "segment": pl.String, "asset_id": pl.Int64},
    )
    where = "in this segment" if key != ALL else "overall"
    out = []
    for row in rank(model, queries, k, allowed).sort("rank").iter_rows(named=True):
        if row["after"] is None:
            because = f"{row['n_ab']} of {row['n_a']} won deals {where} saw it"
        else:
            after = titles.get(row["after"], f"asset {row['after']}")
            because = f"{row['n_ab']} of {row['n_a']} won deals {where} saw it after {after}"
            if row["followed"] > 1:  # ranked on the whole path, not on this rule alone
                others = row["followed"] - 1
                because += f", and after {others} other asset{'s' if others > 1 else ''} seen"
        out.append(
            Suggestion(row["asset_id"], round(float(row["score"]), 4), because, row["after"])
        )
    return out


def backtest(order: pl.DataFrame, cut: datetime, k: int = K) -> Backtest:
    """Hit rate at `k` of the model and of "most popular" on deals won after `cut`."""
    train = order.filter(pl.col("closed_at") < cut)
    test = order.filter(pl.col("closed_at") >= cut)
    model = fit(train)
    lengths = test.group_by("opportunity_id").agg(pl.len().alias("_len"))
    test = test.join(lengths, on="opportunity_id").filter(pl.col("_len") >= 2)
    shown = (pl.col("_len") // 2).alias("_shown")
    test = test.with_columns(shown)
    truth = test.filter(pl.col("position") == pl.col("_shown")).select(
        pl.col("opportunity_id").alias("query"), pl.col("asset_id").alias("truth")
    )
    n = truth.height
    if n == 0:
        return Backtest(cut, _count(train), 0, k, None, None)
    big = set(model.deals.filter(pl.col("n") >= MIN_SEGMENT_DEALS)["segment"].to_list()) - {ALL}
    queries = test.filter(pl.col("position") < pl.col("_shown")).select(
        pl.col("opportunity_id").alias("query"),
        pl.when(pl.col("segment").is_in(list(big)))
        .then(pl.col("segment"))
        .otherwise(pl.lit(ALL))
        .alias("segment"),
        "asset_id",
    )
    hits = _hits(rank(model, queries, k), truth)
    popular_model = SequenceModel(
        order=model.order.clear(),
        seen=model.seen.filter(pl.col("segment") == ALL),
        deals=model.deals,
    )
    popular = _hits(
        rank(popular_model, queries.with_columns(pl.lit(ALL).alias("segment")), k), truth
    )
    return Backtest(cut, _count(train), n, k, hits / n, popular / n)


def _hits(ranked: pl.DataFrame, truth: pl.DataFrame) -> int:
    return ranked.join(truth, left_on=["query", "asset_id"], right_on=["query", "truth"]).height


def _count(order: pl.DataFrame) -> int:
    return order["opportunity_id"].n_unique()
