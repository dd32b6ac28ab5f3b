"""Safe ratios and percentiles: None instead of a division by zero or a statistic of nothing."""

import polars as pl


def rate(numerator: float, denominator: float) -> float | None:
    """`numerator / denominator`, or None when the denominator is zero."""
    return numerator / denominator if denominator else None


def durations(values: pl.Series) -> tuple[int, float | None, float | None]:
    """Count, median and 90th percentile (linear interpolation) of non-null values."""
    clean = values.drop_nulls()
    if clean.len() == 0:
        return 0, None, None
    return (
        clean.len(),
        float(clean.quantile(0.5, "linear")),  # type: ignore[arg-type]
        float(clean.quantile(0.9, "linear")),  # type: ignore[arg-type]
    )
