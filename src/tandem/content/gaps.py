"""Content gaps: which journey stage x persona (x product) cells lack live assets, weighted by
how many contacts and deals stall at that stage, so the costliest missing content comes first.
Pure (Polars).

A cell's rating counts its live assets: none (0), thin (1), covered (2-4), crowded (5+). Its
cost is its shortfall (1 for none, 0.5 for thin, 0 otherwise) times the contacts and deals
stalled at the matching lifecycle stages. A contact is stalled when its stay in a stage is
still open at `as_of` and already longer than that stage's median completed stay; a deal when
it is open and older than the median won sales cycle (deals of unknown creation date are
counted apart, never guessed). When the stays carry a ``persona`` column, stalls are counted
per persona; otherwise every persona at a stage carries the stage's stalls.
"""

from datetime import datetime, timedelta

import polars as pl

JOURNEY_STAGES: tuple[str, ...] = (
    "awareness",
    "consideration",
    "decision",
    "onboarding",
    "expansion",
)
#: Lifecycle stages whose stalled contacts a journey stage's content should move on.
LIFECYCLE_OF: dict[str, tuple[str, ...]] = {
    "awareness": ("subscriber", "lead"),
    "consideration": ("mql", "sal", "nurture"),
    "decision": ("sql", "opportunity"),
    "onboarding": (),
    "expansion": (),
}
#: Journey stage whose content should move stalled open deals.
DEAL_STAGE = "decision"
#: Live assets per cell: fewer than THIN is none, fewer than COVERED thin, fewer than CROWDED
#: covered, else crowded. Five or more assets for one persona at one stage is more than a
#: rep can tell apart.
THIN, COVERED, CROWDED = 1, 2, 5
#: How much of a cell is missing, by rating.
SHORTFALL: dict[str, float] = {"none": 1.0, "thin": 0.5, "covered": 0.0, "crowded": 0.0}
_STAGE_OF = {life: journey for journey, lives in LIFECYCLE_OF.items() for life in lives}
_ORDER = {s: i for i, s in enumerate(JOURNEY_STAGES)}


def rating(live: pl.Expr) -> pl.Expr:
    """The rating of a cell holding `live` assets."""
    return (
        pl.when(live < THIN)
        .then(pl.lit("none"))
        .when(live < COVERED)
        .then(pl.lit("thin"))
        .when(live < CROWDED)
        .then(pl.lit("covered"))
        .otherwise(pl.lit("crowded"))
    )


def stalls(stays: pl.DataFrame, deals: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Stalled contacts and deals per journey stage (and persona when the stays have one).

    stays: contact_id, stage, entered_at, days (NaN or null while open), optional persona.
    deals: created_at, closed_at, is_closed, is_won. Returns journey_stage, [persona],
    stalled_contacts, stalled_deals, deals_unknown_age.
    """
    by_persona = "persona" in stays.columns
    keys = ["journey_stage", *(["persona"] if by_persona else [])]
    frame = stays.select(
        pl.col("stage")
        .cast(pl.String)
        .replace_strict(_STAGE_OF, default=None)
        .alias("journey_stage"),
        pl.col("stage").cast(pl.String).alias("stage"),
        pl.col("entered_at").cast(pl.Datetime("us", "UTC")),
        pl.col("days").cast(pl.Float64).fill_nan(None),
        *([pl.col("persona").cast(pl.String).fill_null("unknown")] if by_persona else []),
    ).drop_nulls("journey_stage")
    medians = (
        frame.drop_nulls("days").group_by("stage").agg(pl.col("days").median().alias("_median"))
    )
    age = (pl.lit(as_of) - pl.col("entered_at")).dt.total_seconds() / 86400
    stalled = (
        frame.filter(pl.col("days").is_null(), pl.col("entered_at") <= as_of)
        .join(medians, on="stage")
        .filter(age > pl.col("_median"))
        .group_by(keys)
        .agg(pl.len().cast(pl.Int64).alias("stalled_contacts"))
    )
    won = deals.filter(pl.col("is_won").fill_null(False), pl.col("closed_at").is_not_null())
    cycle = (won["closed_at"] - won["created_at"]).dt.total_seconds().drop_nulls().median()
    open_deals = deals.filter(~pl.col("is_closed").fill_null(False))
    unknown_age = open_deals["created_at"].null_count()
    if cycle is None:
        stalled_deals = 0
    else:
        deal_age = (pl.lit(as_of) - pl.col("created_at")).dt.total_seconds()
        stalled_deals = open_deals.filter(deal_age > cycle).height
    deal_rows = pl.DataFrame(
        {
            "journey_stage": [DEAL_STAGE],
            "stalled_deals": [stalled_deals],
            "deals_unknown_age": [unknown_age],
        },
        schema_overrides={"stalled_deals": pl.Int64, "deals_unknown_age": pl.Int64},
    )
    stages = pl.DataFrame({"journey_stage": list(JOURNEY_STAGES)})
    return (
        stages.join(stalled, on="journey_stage", how="left")
        .join(deal_rows, on="journey_stage", how="left")
        .with_columns(
            pl.col(c).fill_null(0)
            for c in ("stalled_contacts", "stalled_deals", "deals_unknown_age")
        )
    )


def gap_matrix(
    assets: pl.DataFrame,
    stalled: pl.DataFrame,
    *,
    personas: list[str] | None = None,
    by_product: bool = False,
) -> pl.DataFrame:
    """Every stage x persona (x product) cell: live assets, rating, stalls and cost, costliest
    first (then by stage order and persona).

    assets: asset_id, journey_stage, personas (list), products (list), status; only ``live``
    assets fill cells; the personas and products any asset is tagged with (plus `personas`)
    make the axes. stalled: `stalls`' output.
    """
    tagged = assets.select(
        pl.col("asset_id"),
        pl.col("journey_stage").cast(pl.String),
        pl.col("personas").cast(pl.List(pl.String)),
        (pl.col("products") if "products" in assets.columns else pl.lit([], pl.List(pl.String)))
        .cast(pl.List(pl.String))
        .alias("products"),
        (pl.col("status").cast(pl.String) == "live").alias("live"),
    )
    known = set(tagged["personas"].explode().drop_nulls().to_list()) | set(personas or [])
    if "persona" in stalled.columns:
        known |= set(stalled["persona"].drop_nulls().to_list()) - {"unknown"}
    axes = pl.DataFrame({"journey_stage": list(JOURNEY_STAGES)}).join(
        pl.DataFrame({"persona": sorted(known)}, schema={"persona": pl.String}), how="cross"
    )
    keys = ["journey_stage", "persona"]
    cells = tagged.filter(pl.col("live")).explode("personas").rename({"personas": "persona"})
    if by_product:  # an asset for no product in particular is under "(none)"
        tagged = tagged.with_columns(
            pl.when(pl.col("products").list.len() > 0)
            .then(pl.col("products"))
            .otherwise(pl.lit(["(none)"], dtype=pl.List(pl.String)))
            .alias("products")
        )
        cells = tagged.filter(pl.col("live")).explode("personas").rename({"personas": "persona"})
        products = sorted(set(tagged["products"].explode().drop_nulls().to_list()))
        axes = axes.join(
            pl.DataFrame({"product": products}, schema={"product": pl.String}), how="cross"
        )
        cells = cells.explode("products").rename({"products": "product"})
        keys.append("product")
    counts = cells.drop_nulls(keys).group_by(keys).agg(pl.len().cast(pl.Int64).alias("live_assets"))
    stall_keys = [k for k in ("journey_stage", "persona") if k in stalled.columns]
    stall_cols = stalled.select(*stall_keys, "stalled_contacts", "stalled_deals")
    if "persona" in stall_keys:  # deal stalls have no persona: every persona carries them
        deals = stalled.group_by("journey_stage").agg(pl.col("stalled_deals").max())
        stall_cols = stall_cols.drop("stalled_deals").join(deals, on="journey_stage", how="left")
    out = (
        axes.join(counts, on=keys, how="left")
        .join(stall_cols, on=stall_keys, how="left")
        .with_columns(
            pl.col(c).fill_null(0) for c in ("live_assets", "stalled_contacts", "stalled_deals")
        )
        .with_columns(rating(pl.col("live_assets")).alias("rating"))
    )
    if "persona" in stall_keys:  # a persona without stalled contacts still carries deals
        deals = stalled.group_by("journey_stage").agg(pl.col("stalled_deals").max().alias("_d"))
        out = (
            out.join(deals, on="journey_stage", how="left")
            .with_columns(pl.col("_d").fill_null(0).alias("stalled_deals"))
            .drop("_d")
        )
    shortfall = pl.col("rating").replace_strict(SHORTFALL, return_dtype=pl.Float64)
    return (
        out.with_columns(
            (shortfall * (pl.col("stalled_contacts") + pl.col("stalled_deals"))).alias("cost"),
            pl.col("journey_stage").replace_strict(_ORDER, return_dtype=pl.Int8).alias("_order"),
        )
        .sort(["cost", "_order", *keys[1:]], descending=[True, False, *[False] * (len(keys) - 1)])
        .drop("_order")
    )


#: Months without use after which an asset is on the purge list (as `tandem.content.purge`).
UNUSED_MONTHS = 6


def unused(
    assets: pl.DataFrame,
    views: pl.DataFrame,
    shares: pl.DataFrame,
    deal_uses: pl.DataFrame,
    as_of: datetime,
    months: int = UNUSED_MONTHS,
) -> pl.DataFrame:
    """The purge list over columns: the rule of `tandem.content.purge.unused` (which the pages
    use, over the store), for the copy and the benchmark; a test holds the two equal.

    Live and draft assets with at least one reason: never shared, never viewed, viewed but
    not since `months` ago and not marked used in a deal since, or past expiry. assets:
    asset_id, status, expires_on (date, optional). views: asset_id, occurred_at (every
    activity naming the asset). shares: asset_id. deal_uses: asset_id, created_at. Returns
    asset_id, reasons, shares, buyer_views, last_view_at, by asset id.
    """
    since = as_of - timedelta(days=round(months * 30.44))
    seen = views.group_by("asset_id").agg(
        pl.len().alias("buyer_views"), pl.col("occurred_at").max().alias("last_view_at")
    )
    shared = shares.group_by("asset_id").agg(pl.len().alias("shares"))
    used = deal_uses.filter(pl.col("created_at") >= since).select("asset_id").unique()
    expires = pl.col("expires_on") if "expires_on" in assets.columns else pl.lit(None, pl.Date)
    frame = (
        assets.filter(pl.col("status").cast(pl.String) != "archived")
        .select(pl.col("asset_id").cast(pl.Int64), expires.alias("expires_on"))
        .join(seen.with_columns(pl.col("asset_id").cast(pl.Int64)), on="asset_id", how="left")
        .join(shared.with_columns(pl.col("asset_id").cast(pl.Int64)), on="asset_id", how="left")
        .join(
            used.with_columns(pl.col("asset_id").cast(pl.Int64), pl.lit(True).alias("_used")),
            on="asset_id",
            how="left",
        )
        .with_columns(
            pl.col("buyer_views").fill_null(0).cast(pl.Int64),
            pl.col("shares").fill_null(0).cast(pl.Int64),
        )
    )
    reason = {
        "never_shared": pl.col("shares") == 0,
        "never_viewed": pl.col("buyer_views") == 0,
        "no_recent_use": (pl.col("buyer_views") > 0)
        & (pl.col("last_view_at") < since)
        & pl.col("_used").is_null(),
        "expired": pl.col("expires_on").is_not_null() & (pl.col("expires_on") < as_of.date()),
    }
    reasons = pl.concat_list(
        pl.when(condition).then(pl.lit(name)).otherwise(pl.lit(None, pl.String))
        for name, condition in reason.items()
    ).list.drop_nulls()
    return (
        frame.with_columns(reasons.alias("reasons"))
        .filter(pl.col("reasons").list.len() > 0)
        .select("asset_id", "reasons", "shares", "buyer_views", "last_view_at")
        .sort("asset_id")
    )
