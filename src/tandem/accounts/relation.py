"""The shape of the `accounts` relation of the columnar copy (filled by `facts.py`). Pure."""

from typing import Any

import polars as pl

UNKNOWN = "unknown"
SCHEMA: dict[str, Any] = {
    "account_id": pl.Int64,
    "tier": pl.String,  # "1".."3", "none" when not a target account
    "stage": pl.String,  # the latest daily snapshot's journey stage
    "segment": pl.String,
    "vertical": pl.String,
    "region": pl.String,
    "channel": pl.String,  # the shared dimensions: an account has no channel or source
    "source": pl.String,
    "owner": pl.String,  # the owner's user id as text
    "is_target": pl.Int8,
    "is_mqa": pl.Int8,
    "mqa_s": pl.Float64,  # the MQA moment, epoch seconds
    "last_touch_s": pl.Float64,
    "people_engaged": pl.Int64,
    "score": pl.Float64,
    "coverage": pl.Float64,
}


def empty() -> pl.DataFrame:
    """The relation with no accounts (facts built without any)."""
    return pl.DataFrame(schema=SCHEMA)
