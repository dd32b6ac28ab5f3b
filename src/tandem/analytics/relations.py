"""The relations metrics are defined over, derived from the dashboard facts. Pure (Polars).

Each relation is a flat table of plain columns: ids, dimension values as text ("unknown" when
missing), flags as 0/1 and every moment as epoch seconds (``*_s``, NULL when unknown). That is
the shape any SQL engine reads the same way, so a metric's SQL (`tandem.metrics.sql`) runs
unchanged on DuckDB here or on a warehouse holding the same tables.
"""

import polars as pl

from tandem.analytics.dims import DIMENSIONS, UNKNOWN
from tandem.analytics.frames import NO_CONTENT, STAGES, Facts, implied, reach_column

#: Dimensions of a contact, and of everything dated by a contact (handoffs, answers).
CONTACT_DIMENSIONS: tuple[str, ...] = (*DIMENSIONS, "campaign", "owner")
#: Dimensions of a deal.
DEAL_DIMENSIONS: tuple[str, ...] = (
    *DIMENSIONS,
    "campaign",
    "deal_type",
    "lead_source",
    "product",
    "rep",
    "manager",
    "team",
    "owner",
)


#: Dimensions of a content event: the contact's, the asset (its id as text), its type and
#: journey stage, and the rep who shared it (``rep``, a user id; "unknown" for a view).
CONTENT_DIMENSIONS: tuple[str, ...] = (
    *CONTACT_DIMENSIONS,
    "asset",
    "asset_type",
    "journey_stage",
    "rep",
)


def seconds(column: str) -> pl.Expr:
    """A datetime or date column as epoch seconds (float, NULL stays NULL)."""
    return (pl.col(column).cast(pl.Datetime("us", "UTC")).dt.epoch("us") / 1e6).alias(
        f"{column.removesuffix('_at').removesuffix('_on')}_s"
    )


def owner() -> pl.Expr:
    """The owner's user id as text (the filter value a quota uses), "unknown" when none."""
    return pl.col("owner_id").cast(pl.String).fill_null(UNKNOWN).alias("owner")


def _text(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A dimension as text, "unknown" when missing (or when the facts lack the column)."""
    expr = pl.col(column).cast(pl.String) if column in frame.columns else pl.lit(None, pl.String)
    return expr.fill_null(UNKNOWN).alias(column)


def contacts(facts: Facts) -> pl.DataFrame:
    """One row per contact: current stage, dimensions, when it first reached each stage."""
    frame = facts.contacts
    return frame.select(
        "contact_id",
        "owner_id",
        pl.col("stage").cast(pl.String),
        *[_text(frame, d) for d in (*DIMENSIONS, "campaign")],
        owner(),
        seconds("created_at"),
        *[(pl.col(reach_column(s)).dt.epoch("us") / 1e6).alias(f"reached_{s}_s") for s in STAGES],
        *[implied(s).cast(pl.Int8).alias(f"implied_{s}") for s in STAGES],
    )


def deals(facts: Facts) -> pl.DataFrame:
    """One row per opportunity: amount (NULL when unknown), dates, outcome, dimensions."""
    frame = facts.opportunities
    return frame.select(
        "opportunity_id",
        "owner_id",
        "account_id",
        "contact_id",
        pl.col("stage").cast(pl.String),
        "amount",
        seconds("created_at"),
        seconds("closed_at"),
        seconds("expected_close_on"),
        pl.col("is_closed").fill_null(False).cast(pl.Int8),
        pl.col("is_won").fill_null(False).cast(pl.Int8),
        *[_text(frame, d) for d in (*DIMENSIONS, "campaign", "deal_type", "lead_source")],
        *[_text(frame, d) for d in ("product", "rep", "manager", "team")],
        owner(),
    )


def handoffs(facts: Facts) -> pl.DataFrame:
    """One row per MQL handed to sales: its SLA clocks and answers, as epoch seconds."""
    frame = facts.handoffs
    return frame.select(
        "contact_id",
        pl.col("status").cast(pl.String),
        pl.col("reject_code").cast(pl.String),
        *[
            seconds(c)
            for c in (
                "mql_at",
                "clock_started_at",
                "accept_due_at",
                "first_touch_due_at",
                "accepted_at",
                "rejected_at",
                "first_touch_at",
            )
        ],
        *[_text(frame, d) for d in DIMENSIONS],
    )


def answers(facts: Facts) -> pl.DataFrame:
    """One row per answer sales gave an MQL or SAL: accepted, recycled or disqualified."""
    frame = facts.transitions
    return frame.select(
        "contact_id",
        pl.col("from_stage").cast(pl.String),
        pl.col("to_stage").cast(pl.String),
        seconds("at"),
        pl.col("reason").cast(pl.String),
        *[_text(frame, d) for d in DIMENSIONS],
    )


def subscriptions(facts: Facts) -> pl.DataFrame:
    """One row per change of a customer's subscription (`tandem.usage`): its MRR before and
    after, the expansion, contraction or churned MRR it is, and the account's dimensions."""
    frame = facts.subscriptions
    delta = pl.col("mrr_after") - pl.col("mrr_before")
    churn = pl.col("kind") == "churn"
    stays = pl.col("kind").is_in(["upgrade", "downgrade", "renewal"])  # a start is new MRR
    return frame.select(
        "account_id",
        "owner_id",
        pl.col("kind").cast(pl.String),
        seconds("occurred_at").alias("at_s"),
        "mrr_before",
        "mrr_after",
        pl.when(stays).then(delta.clip(lower_bound=0)).otherwise(0.0).alias("expansion"),
        pl.when(stays).then((-delta).clip(lower_bound=0)).otherwise(0.0).alias("contraction"),
        pl.when(churn).then(pl.col("mrr_before")).otherwise(0.0).alias("churned_mrr"),
        *[_text(frame, d) for d in DIMENSIONS],
        owner(),
    )


def content(facts: Facts) -> pl.DataFrame:
    """One row per content event: a buyer consuming an asset (``kind`` "view") or a rep
    sharing one ("share"), dated ``at_s``, with the contact's dimensions."""
    frame = facts.content if set(NO_CONTENT.columns) <= set(facts.content.columns) else NO_CONTENT
    people = contacts(facts).select("contact_id", *CONTACT_DIMENSIONS)
    return frame.join(people, on="contact_id", how="left").select(
        "kind",
        "asset_id",
        "contact_id",
        seconds("at"),
        *[pl.col(d).fill_null(UNKNOWN) for d in CONTACT_DIMENSIONS],
        pl.col("asset_id").cast(pl.String).fill_null(UNKNOWN).alias("asset"),
        pl.col("asset_type").fill_null(UNKNOWN),
        pl.col("journey_stage").fill_null(UNKNOWN),
        pl.col("user_id").cast(pl.String).fill_null(UNKNOWN).alias("rep"),
    )


def pqls(facts: Facts) -> pl.DataFrame:
    """One row per product-qualified lead made an MQL (`tandem.usage`): its account's plan and
    the contact's dimensions, dated ``at_s`` (the match)."""
    people = contacts(facts).select("contact_id", *CONTACT_DIMENSIONS)
    return facts.pqls.join(people, on="contact_id", how="left").select(
        "contact_id",
        "account_id",
        pl.col("plan").fill_null(UNKNOWN),
        pl.col("rule_version").cast(pl.String).alias("rule"),
        "at_s",
        *[pl.col(d).fill_null(UNKNOWN) for d in CONTACT_DIMENSIONS],
    )


def accounts(facts: Facts) -> pl.DataFrame:
    """One row per account (`tandem.accounts.relation`): tier, stage, score, MQA moment."""
    return facts.accounts


#: Every relation by name, and the column identifying one of its records.
RELATIONS = {
    "contacts": (contacts, "contact_id"),
    "deals": (deals, "opportunity_id"),
    "handoffs": (handoffs, "contact_id"),
    "answers": (answers, "contact_id"),
    "subscriptions": (subscriptions, "account_id"),
    "content": (content, "contact_id"),
    "accounts": (accounts, "account_id"),
    "pqls": (pqls, "contact_id"),
}
