"""SLA compliance, answers and reject reasons from the handoff records. Pure.

Speed to lead and the acceptance rate are registry metrics (`tandem.handoff.metrics`)."""

from datetime import datetime

import polars as pl

from tandem.analytics.ratios import rate
from tandem.analytics.schemas import HandoffStats, ReasonCount


def _met(done: str, due: str, as_of: datetime) -> tuple[pl.Expr, pl.Expr]:
    """(decided, met): a clock is decided once done or once its due time has passed."""
    done_col, due_col = pl.col(done), pl.col(due)
    decided = due_col.is_not_null() & ((done_col <= as_of) | (due_col <= as_of))
    met = decided & done_col.is_not_null() & (done_col <= due_col) & (done_col <= as_of)
    return decided, met


def handoff_stats(
    handoffs: pl.DataFrame, mask: pl.Expr, start: datetime, end: datetime, as_of: datetime
) -> HandoffStats:
    """Compliance with the accept and first-touch clocks for MQLs handed off in the range."""
    stop = min(end, as_of)
    chosen = handoffs.filter(mask, pl.col("mql_at") >= start, pl.col("mql_at") < stop)
    answered = pl.min_horizontal("accepted_at", "rejected_at")
    chosen = chosen.with_columns(answered_at=answered)
    a_decided, a_met = _met("answered_at", "accept_due_at", as_of)
    t_decided, t_met = _met("first_touch_at", "first_touch_due_at", as_of)
    counts = chosen.select(
        (pl.col("accepted_at") <= as_of).sum().alias("accepted"),
        (pl.col("rejected_at") <= as_of).sum().alias("rejected"),
        a_decided.sum().alias("a_decided"),
        a_met.sum().alias("a_met"),
        t_decided.sum().alias("t_decided"),
        t_met.sum().alias("t_met"),
    ).row(0, named=True)
    reasons = (
        chosen.filter(pl.col("rejected_at") <= as_of)
        .group_by(pl.col("reject_code").fill_null("no reason recorded"))
        .len()
        .sort("len", "reject_code", descending=[True, False])
    )
    accepted, rejected = int(counts["accepted"]), int(counts["rejected"])
    return HandoffStats(
        handed_off=chosen.height,
        accepted=accepted,
        rejected=rejected,
        accept_sla=rate(counts["a_met"], counts["a_decided"]),
        first_touch_sla=rate(counts["t_met"], counts["t_decided"]),
        reject_reasons=[ReasonCount(reason=r, contacts=c) for r, c in reasons.iter_rows()],
    )
