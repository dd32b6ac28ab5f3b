"""The columnar facts every dashboard reads, derived from raw store rows. Pure (Polars).

`Facts` is what a snapshot of the store holds: one row per contact with the first time it
reached each funnel stage, one row per stay in a stage (for velocity), the transition log
(for the handoff) and one row per opportunity. Dimension columns (segment, region, vertical,
channel) sit on every frame so filters never need a join at request time.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from tandem.accounts import relation as accounts_relation
from tandem.analytics.dims import DIMENSIONS, UNKNOWN, Filters
from tandem.lifecycle.stages import FUNNEL

#: The forward stages as column suffixes: ``at_mql`` is when the contact first reached MQL.
STAGES: tuple[str, ...] = tuple(s.value for s in FUNNEL)
TS = pl.Datetime("us", "UTC")


def reach_column(stage: str) -> str:
    """Name of the column holding when a contact first reached `stage`."""
    return "created_at" if stage == "created" else f"at_{stage}"


def month_column(stage: str) -> str:
    """Name of the column holding the month number of `reach_column(stage)`."""
    return f"m_{stage}"


def day_column(stage: str) -> str:
    """Name of the column holding the day number (days since 1970-01-01) of a reach."""
    return f"d_{stage}"


def day_number(moment: datetime) -> int:
    """Days since 1970-01-01 of a UTC moment (the day it falls in)."""
    return int(moment.timestamp() // 86400)


def stop_day(stop: datetime) -> int:
    """First day number not included in a range ending at `stop`.

    Day resolution: a range ending mid-day (at `as_of`, say) includes that whole day.
    """
    day = day_number(stop)
    return day if stop.timestamp() % 86400 == 0 else day + 1


def _days(expr: pl.Expr) -> pl.Expr:
    # Whole days since the epoch: integer comparisons are several times cheaper than on
    # time-zone-aware datetimes, and dashboards filter by day anyway.
    return (expr.dt.epoch("s") // 86400).cast(pl.Int32)


def month_label(number: int) -> str:
    """``YYYY-MM`` of a month number (year * 12 + month - 1)."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def dims_mask(values: Mapping[str, str]) -> pl.Expr:
    """True for rows whose dimensions equal every value given."""
    mask = pl.lit(True)
    for name, value in values.items():
        mask = mask & (pl.col(name) == value)
    return mask


@dataclass(frozen=True, eq=False)
class Facts:
    """Everything the dashboards compute on, as of `loaded_at`."""

    contacts: pl.DataFrame  # contact_id, owner_id, created_at, dims, stage, at_<stage>...
    stays: pl.DataFrame  # contact_id, stage, entered_at, days (null while open), dims
    transitions: pl.DataFrame  # moves out of MQL or SAL: contact_id, from/to, at, reason, dims
    opportunities: pl.DataFrame  # opportunity_id, owner_id, stage, amount, dates, type, dims
    campaigns: pl.DataFrame  # campaign_id, name, channel
    handoffs: pl.DataFrame  # one per MQL handed to sales: clocks, answers, reject code, dims
    rollup: pl.DataFrame  # reach counts by dimension value, stage, day, depth (rollup.py)
    loaded_at: datetime
    known: dict[str, list[str]]  # every value each dimension takes, sorted
    # One per change of a customer's subscription (tandem.usage): account, kind, at, MRR, dims.
    subscriptions: pl.DataFrame = field(default_factory=lambda: _NO_SUBSCRIPTIONS)
    # Content events (buyers' consumption of assets, reps' shares), for the `content` relation.
    content: pl.DataFrame = field(default_factory=lambda: NO_CONTENT)
    # One row per account (tandem.accounts.facts): tier, stage, score, MQA moment.
    accounts: pl.DataFrame = field(default_factory=lambda: _no_accounts())
    # One row per PQL made an MQL (tandem.usage.facts): contact, account, plan, moment.
    pqls: pl.DataFrame = field(default_factory=lambda: _no_pqls())

    def known_values(self) -> dict[str, list[str]]:
        """Every value each dimension takes in the contacts or the deals, sorted."""
        return self.known


def _known(contacts: pl.DataFrame, opportunities: pl.DataFrame) -> dict[str, list[str]]:
    known = {}
    for name in DIMENSIONS:
        values = set(contacts[name].unique().to_list()) | set(
            opportunities[name].unique().to_list()
        )
        known[name] = sorted(str(v) for v in values if v is not None)
    return known


def _fill_dims(frame: pl.DataFrame) -> pl.DataFrame:
    # Categorical: filters compare small integer codes instead of strings on every request. A
    # dimension the rows do not have (a frame built by hand) is unknown throughout.
    return frame.with_columns(
        (pl.col(d).cast(pl.String) if d in frame.columns else pl.lit(None, pl.String))
        .fill_null(UNKNOWN)
        .cast(pl.Categorical)
        .alias(d)
        for d in DIMENSIONS
    )


def reached_wide(contacts: pl.DataFrame, transitions: pl.DataFrame) -> pl.DataFrame:
    """Add ``at_<stage>`` columns: the first time each contact reached each forward stage.

    Reaching a later stage implies passing the earlier ones (an import may jump from lead to
    customer), so each column is back-filled with the earliest later reach. A contact's current
    stage counts as reached at `stage_entered_at` even when the log has no row for it.
    ``observed`` keeps which reaches were seen rather than implied (see `implied`).
    """
    firsts = (
        transitions.filter(pl.col("to_stage").is_in(STAGES))
        .group_by("contact_id", "to_stage")
        .agg(pl.col("at").min())
        .pivot(on="to_stage", index="contact_id", values="at")
    )
    out = contacts.join(firsts, on="contact_id", how="left", maintain_order="left")
    for stage in STAGES:
        if stage not in out.columns:
            out = out.with_columns(pl.lit(None, TS).alias(stage))
        current = pl.when(pl.col("stage") == stage).then(
            pl.col("stage_entered_at").fill_null(pl.col("created_at"))
        )
        out = out.with_columns(pl.min_horizontal(stage, current).alias(stage))
    # Which stages the log (or the current stage) shows, before the back-fill: bit i for
    # STAGES[i]. A reach without its bit was implied by a later stage, not observed.
    observed = pl.sum_horizontal(
        pl.col(s).is_not_null().cast(pl.Int16) * (1 << i) for i, s in enumerate(STAGES)
    )
    out = out.with_columns(observed.cast(pl.Int16).alias("observed"))
    later: pl.Expr = pl.lit(None, TS)
    for stage in reversed(STAGES):
        later = pl.min_horizontal(pl.col(stage), later)
        out = out.with_columns(later.alias(reach_column(stage)))
    # Month numbers (year * 12 + month - 1) make the per-month counts a cheap integer count.
    out = out.drop([*STAGES, "stage_entered_at"])
    return out.with_columns(
        *[
            (pl.col(reach_column(s)).dt.year() * 12 + pl.col(reach_column(s)).dt.month() - 1)
            .cast(pl.Int32)
            .alias(month_column(s))
            for s in (*STAGES, "created")
        ],
        *[_days(pl.col(reach_column(s))).alias(day_column(s)) for s in (*STAGES, "created")],
        # Reached stages always form a prefix of the funnel, so one number says which.
        pl.sum_horizontal(pl.col(reach_column(s)).is_not_null() for s in STAGES)
        .cast(pl.Int8)
        .alias("depth"),
    )


def implied(stage: str) -> pl.Expr:
    """True where the contact reached `stage` only by implication (a later stage was logged)."""
    bit = 1 << STAGES.index(stage)
    return pl.col(reach_column(stage)).is_not_null() & ((pl.col("observed") & bit) == 0)


#: Stages whose stays velocity measures, in order (customer is an end state, not a wait).
STAY_STAGES: tuple[str, ...] = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "nurture")
STAY_RANK = {s: i for i, s in enumerate(STAY_STAGES)}
#: `left_day` of a stay not left yet.
OPEN_DAY = 2**31 - 1


def stays(transitions: pl.DataFrame) -> pl.DataFrame:
    """Each stay in a stage: entered at one transition, left at the contact's next one."""
    ordered = transitions.sort("contact_id", "at", "id")
    # A plain shift plus a same-contact check is several times faster than a window `over`.
    same = pl.col("contact_id").shift(-1) == pl.col("contact_id")
    left = pl.when(same).then(pl.col("at").shift(-1))
    out = ordered.select(
        "contact_id",
        pl.col("to_stage").alias("stage").cast(pl.Categorical),
        pl.col("at").alias("entered_at"),
        _days(pl.col("at")).alias("entered_day"),
        # No nulls (open stays: left "never", days NaN), so numpy can view the columns as is.
        _days(left).fill_null(OPEN_DAY).alias("left_day"),
        ((left - pl.col("at")).dt.total_seconds() / 86400.0).fill_null(float("nan")).alias("days"),
        pl.col("to_stage")
        .replace_strict(STAY_RANK, default=len(STAY_RANK), return_dtype=pl.Int8)
        .alias("rank"),
    )
    # Sorted by stage then entry day, so one stage's stays in a date range are one slice.
    return out.sort("rank", "entered_day")


def build_facts(
    *,
    contacts: pl.DataFrame,
    transitions: pl.DataFrame,
    opportunities: pl.DataFrame,
    campaigns: pl.DataFrame,
    loaded_at: datetime,
    handoffs: pl.DataFrame | None = None,
    subscriptions: pl.DataFrame | None = None,
    content: pl.DataFrame | None = None,
    accounts: pl.DataFrame | None = None,
    pqls: pl.DataFrame | None = None,
) -> Facts:
    """Derive the dashboard facts from raw rows (see `tandem.analytics.snapshot`)."""
    contacts = _fill_dims(contacts)
    opportunities = _fill_dims(opportunities)
    dims = contacts.select("contact_id", *DIMENSIONS)
    # Only answers to MQLs and SALs matter to the handoff view: keep that slice, not the log.
    answers = transitions.filter(pl.col("from_stage").is_in(["mql", "sal"])).join(
        dims, on="contact_id", how="left"
    )
    wide = reached_wide(contacts, transitions).rechunk()
    from tandem.analytics.rollup import reach_rollup  # imports this module's helpers

    return Facts(
        contacts=wide,
        rollup=reach_rollup(wide),
        stays=stays(transitions).join(dims, on="contact_id", how="left").rechunk(),
        transitions=answers.drop("id").rechunk(),
        opportunities=opportunities,
        campaigns=campaigns,
        handoffs=(handoffs if handoffs is not None else _NO_HANDOFFS).join(
            dims, on="contact_id", how="left"
        ),
        loaded_at=loaded_at,
        known=_known(contacts, opportunities),
        subscriptions=subscriptions if subscriptions is not None else _NO_SUBSCRIPTIONS,
        content=NO_CONTENT if content is None else content,
        accounts=accounts if accounts is not None else _no_accounts(),
        pqls=pqls if pqls is not None else _no_pqls(),
    )


_NO_SUBSCRIPTIONS = pl.DataFrame(
    schema={
        "account_id": pl.Int64,
        "owner_id": pl.Int64,
        "kind": pl.String,
        "occurred_at": TS,
        "mrr_before": pl.Float64,
        "mrr_after": pl.Float64,
        "segment": pl.String,
        "region": pl.String,
        "vertical": pl.String,
    }
)


#: One row per content event: a buyer consuming an asset ("view": any activity naming one) or
#: a rep sharing one ("share"); read by `tandem.content.frames.content_events`.
NO_CONTENT = pl.DataFrame(
    schema={
        "kind": pl.String,
        "asset_id": pl.Int64,
        "contact_id": pl.Int64,
        "user_id": pl.Int64,
        "at": TS,
        "asset_type": pl.String,
        "journey_stage": pl.String,
        "activity_id": pl.Int64,  # the view's activity; null for a share
    }
)


def _no_accounts() -> pl.DataFrame:
    return accounts_relation.empty()  # the accounts capability owns the shape


def _no_pqls() -> pl.DataFrame:
    from tandem.usage.pql import empty_relation  # the usage capability owns the shape

    return empty_relation()


_NO_HANDOFFS = pl.DataFrame(
    schema={
        "contact_id": pl.Int64,
        "mql_at": TS,
        "clock_started_at": TS,
        "status": pl.String,
        "accept_due_at": TS,
        "first_touch_due_at": TS,
        "accepted_at": TS,
        "rejected_at": TS,
        "first_touch_at": TS,
        "reject_code": pl.String,
    }
)


def where(
    frame: pl.DataFrame,
    filters: Filters,
    date_column: str | None = None,
    *,
    values: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Rows matching the filters' dimension values and, with `date_column`, the date range."""
    conditions = [pl.col(k) == v for k, v in (values or filters.values).items()]
    if date_column:
        start = datetime(filters.start.year, filters.start.month, filters.start.day)
        end = datetime(filters.end.year, filters.end.month, filters.end.day)
        col = pl.col(date_column)
        conditions.append(
            (col >= pl.lit(start).dt.replace_time_zone("UTC"))
            & (col < pl.lit(end).dt.replace_time_zone("UTC"))
        )
    return frame.filter(*conditions) if conditions else frame
