"""Demo trial and free accounts whose users use the product: a few of them product-qualified.

`tandem demo setup` picks some accounts without a deal, gives each a trial or free plan (an
entitlement of five seats) and its leads fourteen days of daily product usage: about one user
in three is engaged (logs in most days and runs reports, so the default PQL rule matches),
the others log in now and then and never run a report. The PQL rule then moves the engaged
users to MQL (`pql:<version>`), and the handoff routes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.contacts.models import Contact
from tandem.opportunities.models import Opportunity

TRIAL_ACCOUNTS = 6
DAYS = 14


@dataclass(frozen=True)
class Trials:
    """Frames for `entitlements` and `user_usage_facts` (daily)."""

    entitlements: pl.DataFrame
    usage: pl.DataFrame


def generate(people: pl.DataFrame, as_of: date, seed: int = 11) -> Trials:
    """Plans and usage for `people` (`contact_id`, `account_id`), the users of trial accounts."""
    rng = np.random.default_rng(seed)
    accounts = people["account_id"].unique().sort().to_list()
    entitlements = pl.DataFrame(
        {
            "account_id": accounts,
            "metric": "active_users",
            "unit": "seats",
            "allowance": 5.0,
            "plan": ["trial" if n % 2 == 0 else "free" for n in range(len(accounts))],
            "valid_from": as_of - timedelta(days=30),
        }
    )
    rows: dict[str, list] = {k: [] for k in ("contact_id", "account_id", "metric", "value")}
    days: list[date] = []
    for contact_id, account_id in people.select("contact_id", "account_id").iter_rows():
        engaged = rng.random() < 1 / 3
        for back in range(DAYS):
            if rng.random() > (0.7 if engaged else 0.15):
                continue
            day = as_of - timedelta(days=back)
            logins = float(rng.integers(1, 4))
            reports = float(rng.integers(0, 3)) if engaged else 0.0
            for metric, value in (("logins", logins), ("reports_run", reports)):
                rows["contact_id"].append(contact_id)
                rows["account_id"].append(account_id)
                rows["metric"].append(metric)
                rows["value"].append(value)
                days.append(day)
    usage = pl.DataFrame(rows, schema={"contact_id": pl.Int64, "account_id": pl.Int64,
                                       "metric": pl.String, "value": pl.Float64})  # fmt: skip
    usage = usage.with_columns(
        period_start=pl.Series(days, dtype=pl.Date), period=pl.lit("day")
    ).filter(pl.col("value") > 0)
    return Trials(entitlements=entitlements, usage=usage)


def trial_people(db_session: Session) -> pl.DataFrame:
    """Leads and subscribers of the first `TRIAL_ACCOUNTS` accounts with no deal and at least
    two of them (the trial users)."""
    dealt = select(Opportunity.account_id).where(Opportunity.account_id.is_not(None))
    leads = Contact.lifecycle_stage.in_(("lead", "subscriber"))
    chosen = (
        select(Contact.account_id)
        .where(Contact.account_id.is_not(None), Contact.account_id.not_in(dealt), leads)
        .group_by(Contact.account_id)
        .having(func.count() >= 2)
        .order_by(Contact.account_id)
        .limit(TRIAL_ACCOUNTS)
    )
    rows = db_session.execute(
        select(Contact.id, Contact.account_id)
        .where(Contact.account_id.in_(chosen), leads)
        .order_by(Contact.id)
    ).all()
    return pl.DataFrame(rows, schema={"contact_id": pl.Int64, "account_id": pl.Int64}, orient="row")


def seed_trials(db_session: Session, *, as_of: date, at: datetime) -> dict[str, int]:
    """Store the demo's trial accounts and their users' usage, then evaluate the PQL rule."""
    from tandem.bulk import insert_frame
    from tandem.usage import pqls

    made = generate(trial_people(db_session), as_of)
    connection = db_session.connection()
    counts = {
        "trial_accounts": insert_frame(connection, "entitlements", made.entitlements),
        "user_usage_facts": insert_frame(connection, "user_usage_facts", made.usage),
    }
    run = pqls.evaluate(db_session, as_of=as_of, at=at)
    counts["pqls"] = len(run.mqls) if run is not None else 0
    return counts
