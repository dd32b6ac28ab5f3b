"""Where we fall short: gaps against target and against the previous period, each located in
the stage, segment, region, vertical, channel or campaign where most of it sits. Pure."""

from collections.abc import Sequence

import polars as pl
from pydantic import BaseModel


class Gap(BaseModel):
    """One shortfall: `actual` below `reference` (a target or the previous period)."""

    metric: str
    against: str  # "target" or "previous period"
    actual: float
    reference: float
    gap: float  # reference - actual, > 0
    gap_share: float  # gap / reference
    where: str | None  # e.g. "segment enterprise: 12 fewer"


def locate(
    current: pl.DataFrame,
    previous: pl.DataFrame,
    dims: Sequence[str],
    value: str | None = None,
) -> tuple[str, str, float] | None:
    """The (dimension, value, drop) with the largest fall from `previous` to `current`.

    Rows are counted, or `value` is summed. None when nothing fell.
    """
    worst: tuple[str, str, float] | None = None
    measure = (pl.len() if value is None else pl.col(value).sum()).cast(pl.Float64)
    for dim in dims:
        now = current.group_by(dim).agg(measure.alias("now"))
        before = previous.group_by(dim).agg(measure.alias("before"))
        joined = before.join(now, on=dim, how="full", coalesce=True).fill_null(0)
        joined = joined.with_columns(drop=pl.col("before") - pl.col("now")).sort(
            "drop", dim, descending=[True, False]
        )
        if (
            joined.height
            and joined["drop"][0] > 0
            and (worst is None or joined["drop"][0] > worst[2])
        ):
            value = joined[dim][0]
            worst = (dim, "(none)" if value is None else str(value), float(joined["drop"][0]))
    return worst


def gap(
    metric: str, against: str, actual: float, reference: float, where: str | None
) -> Gap | None:
    """A `Gap` when `actual` is below a positive `reference`, else None."""
    if reference <= 0 or actual >= reference:
        return None
    return Gap(
        metric=metric,
        against=against,
        actual=actual,
        reference=reference,
        gap=reference - actual,
        gap_share=(reference - actual) / reference,
        where=where,
    )


def largest(gaps: Sequence[Gap | None], limit: int = 6) -> list[Gap]:
    """The biggest gaps first (by share of the reference missed)."""
    return sorted((g for g in gaps if g is not None), key=lambda g: -g.gap_share)[:limit]
