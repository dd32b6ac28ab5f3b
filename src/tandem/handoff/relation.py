"""The shape of the `account_handoffs` relation of the columnar copy (filled by `facts.py`):
one row per account handed to sales (an MQA, an expansion, a churn risk). Pure."""

from typing import Any

import polars as pl

SCHEMA: dict[str, Any] = {
    "account_id": pl.Int64,
    "subject": pl.String,  # account (an MQA) | expansion | churn_risk
    "status": pl.String,
    "reject_code": pl.String,
    "tier": pl.String,  # the account's target tier, "none" when not a target account
    "segment": pl.String,
    "region": pl.String,
    "vertical": pl.String,
    "channel": pl.String,  # the shared dimensions: an account has no channel or source
    "source": pl.String,
    "owner": pl.String,  # the handoff owner's user id as text
    "mql_s": pl.Float64,  # the episode's moment (MQA moment, signal raised), epoch seconds
    "clock_started_s": pl.Float64,
    "accept_due_s": pl.Float64,
    "first_touch_due_s": pl.Float64,
    "accepted_s": pl.Float64,
    "rejected_s": pl.Float64,
    "answered_s": pl.Float64,  # accepted or rejected, whichever came
    "first_touch_s": pl.Float64,
}


def empty() -> pl.DataFrame:
    """The relation with no account handoffs."""
    return pl.DataFrame(schema=SCHEMA)
