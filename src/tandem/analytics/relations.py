"""The relations metrics are defined over, derived from the dashboard facts. Pure (Polars).

Each relation is a flat table of plain columns: ids, dimension values as text ("unknown" when
missing), flags as 0/1 and every moment as epoch seconds (``*_s``, NULL when unknown). That is
the shape any SQL engine reads the same way, so a metric's SQL (`tandem.metrics.sql`) runs
unchanged on DuckDB here or on a warehouse holding the same tables.
"""

from collections.abc import Callable

import polars as pl

from tandem.analytics.dims import DIMENSIONS, UNKNOWN
from tandem.analytics.frames import STAGES, Facts, implied, reach_column

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


def seconds(column: str) -> pl.Expr:
    """A datetime or date column as epoch seconds (float, NULL stays NULL)."""
    return (pl.col(column).cast(pl.Datetime("us", "UTC")).dt.epoch("us") / 1e6).alias(
        f"{column.removesuffix('_at').removesuffix('_on')}_s"
    )


def owner() -> pl.Expr:
    """The owner's user id as text (the filter value a quota uses), "unknown" when none."""
    return pl.col("owner_id").cast(pl.String).fill_null(UNKNOWN).alias("owner")


def dimension(frame: pl.DataFrame, column: str) -> pl.Expr:
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
        *[dimension(frame, d) for d in (*DIMENSIONS, "campaign")],
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
        *[dimension(frame, d) for d in (*DIMENSIONS, "campaign", "deal_type", "lead_source")],
        *[dimension(frame, d) for d in ("product", "rep", "manager", "team")],
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
        *[dimension(frame, d) for d in DIMENSIONS],
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
        *[dimension(frame, d) for d in DIMENSIONS],
    )


#: The core relations by name, and the column identifying one of its records.
RELATIONS = {
    "contacts": (contacts, "contact_id"),
    "deals": (deals, "opportunity_id"),
    "handoffs": (handoffs, "contact_id"),
    "answers": (answers, "contact_id"),
}


def relations() -> dict[str, tuple[Callable[[Facts], pl.DataFrame], str]]:
    """Every relation by name: the core ones and those capabilities declare
    (`tandem.analytics.extra`), each with its builder and its record's id column."""
    from tandem.analytics.extra import declared

    found = dict(RELATIONS)
    for relation in declared():
        if relation.name in found:
            raise RuntimeError(f"two relations are called {relation.name!r}")
        found[relation.name] = (relation.build, relation.id_column)
    return found
