"""The customers' relations of the columnar copy (declared in the manifest, `relations=`).

* `subscriptions`: one row per subscription change (start, renewal, upgrade, downgrade,
  churn) with the MRR it added or lost.

* `retention`: one row per pair of an account's MRR spans, the one holding at some moment and
  one at or after it. A window's cohort is the pairs whose first span holds at its start and
  second at its end (exactly one per account paying then), so gross and net revenue retention
  and logo churn are plain sums over rows (`tandem.usage.metrics`), equal to
  `tandem.usage.retention`'s cohort arithmetic.
* `renewals`: one row per current renewal date of an account's entitlements.
* `health`: each customer's latest health score and band.
* `pqls`: one row per user a PQL rule made an MQL.
"""

from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.analytics.dims import DIMENSIONS, UNKNOWN, segment_expr
from tandem.analytics.extra import Relation
from tandem.analytics.frames import TS, Facts
from tandem.analytics.relations import CONTACT_DIMENSIONS, contacts, dimension, owner, seconds

# The snapshot's reader, so these rows reach Polars the way the core frames do.
from tandem.analytics.snapshot import _epoch, _frame
from tandem.usage.facts import pql_frame
from tandem.usage.models import Entitlement, HealthScore, PqlMatch, SubscriptionEvent
from tandem.usage.pql import empty_relation

#: The account columns every customer relation carries (its dimensions and owner).
_ACCOUNT = {"owner_id": pl.Int64, "region": pl.String, "vertical": pl.String,
            "employees": pl.Int64, "employee_band": pl.String}  # fmt: skip


_EVENTS = {"account_id": pl.Int64, "kind": pl.String, "occurred_at": TS,
           "mrr_before": pl.Float64, "mrr_after": pl.Float64}  # fmt: skip


def read_subscriptions(connection: Connection) -> pl.DataFrame:
    """Customers' subscription changes with their account's dimensions and owner."""
    query = select(
        SubscriptionEvent.account_id,
        SubscriptionEvent.kind,
        _epoch(connection, SubscriptionEvent.occurred_at),
        SubscriptionEvent.mrr_before,
        SubscriptionEvent.mrr_after,
    )
    return _with_account(connection, query, SubscriptionEvent.account_id, _EVENTS)


def subscriptions(facts: Facts) -> pl.DataFrame:
    """The `subscriptions` relation: one row per change of a customer's subscription, its MRR
    before and after, the expansion, contraction or churned MRR it is, and the account's
    dimensions."""
    frame = SUBSCRIPTIONS.frame(facts)
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
        *[dimension(frame, d) for d in DIMENSIONS],
        owner(),
    )


def pqls(facts: Facts) -> pl.DataFrame:
    """The `pqls` relation: one row per product-qualified lead made an MQL, its account's
    plan and the contact's dimensions, dated ``at_s`` (the match)."""
    people = contacts(facts).select("contact_id", *CONTACT_DIMENSIONS)
    return (
        PQLS.frame(facts)
        .join(people, on="contact_id", how="left")
        .select(
            "contact_id",
            "account_id",
            pl.col("plan").fill_null(UNKNOWN),
            pl.col("rule_version").cast(pl.String).alias("rule"),
            "at_s",
            *[pl.col(d).fill_null(UNKNOWN) for d in CONTACT_DIMENSIONS],
        )
    )


def retention(facts: Facts) -> pl.DataFrame:
    """The span pairs of every account's subscription history (see the module's text)."""
    spans = (
        subscriptions(facts)
        .sort("account_id", "at_s", maintain_order=True)
        .with_columns(
            to_s=pl.col("at_s").shift(-1).over("account_id"),
            i=pl.int_range(pl.len()).over("account_id"),
        )
    )
    keep = ("account_id", *DIMENSIONS, "owner")
    first = spans.select(*keep, "i", start_from_s="at_s", start_to_s="to_s", start_mrr="mrr_after")
    then = spans.select(
        "account_id", j="i", end_from_s="at_s", end_to_s="to_s", end_mrr="mrr_after"
    )
    return (
        first.join(then, on="account_id")
        .filter(pl.col("j") >= pl.col("i"))
        .drop("i", "j")
        .sort("account_id", "start_from_s", "end_from_s")
    )


def _with_account(
    connection: Connection, query: Any, account_id: Any, schema: dict[str, Any]
) -> pl.DataFrame:
    """Rows of `query` joined to their account (by `account_id`) as a frame with the
    account's dimensions and owner."""
    statement = query.add_columns(
        Account.owner_id,
        Account.region,
        Account.industry,
        Account.employees,
        Account.employee_band,
    ).join(Account, Account.id == account_id)
    frame = _frame(connection, statement, {**schema, **_ACCOUNT})
    return frame.with_columns(segment=segment_expr().fill_null(UNKNOWN)).drop(
        "employees", "employee_band"
    )


_RENEWALS = {"account_id": pl.Int64, "renewal_on": pl.Date, "valid_to": pl.Date}


def read_renewals(connection: Connection) -> pl.DataFrame:
    """Each account's distinct entitlement renewal dates (the latest end of the rows naming
    one; an open-ended row counts as never ending)."""
    query = select(
        Entitlement.account_id,
        _epoch(connection, Entitlement.renewal_on),
        _epoch(connection, Entitlement.valid_to),
    ).where(Entitlement.renewal_on.is_not(None))
    frame = _with_account(connection, query, Entitlement.account_id, _RENEWALS)
    return frame.group_by("account_id", "renewal_on", maintain_order=True).agg(
        pl.when(pl.col("valid_to").is_null().any())
        .then(None)
        .otherwise(pl.col("valid_to").max())
        .alias("valid_to"),
        *[pl.col(c).first() for c in frame.columns if c not in _RENEWALS],
    )


def renewals(facts: Facts) -> pl.DataFrame:
    """One row per current renewal date of a customer."""
    frame = RENEWALS.frame(facts)
    return frame.select(
        "account_id",
        seconds("renewal_on").alias("renewal_s"),
        seconds("valid_to").alias("valid_to_s"),
        *[dimension(frame, d) for d in DIMENSIONS],
        owner(),
    )


_HEALTH = {"account_id": pl.Int64, "scored_on": pl.Date, "score": pl.Float64, "band": pl.String}


def read_health(connection: Connection) -> pl.DataFrame:
    """Every customer's health on the last day health was scored."""
    day = connection.execute(select(func.max(HealthScore.scored_on))).scalar()
    query = select(
        HealthScore.account_id,
        _epoch(connection, HealthScore.scored_on),
        HealthScore.score,
        HealthScore.band,
    ).where(HealthScore.scored_on == day)
    return _with_account(connection, query, HealthScore.account_id, _HEALTH)


def health(facts: Facts) -> pl.DataFrame:
    """One row per customer: its latest health score and band."""
    frame = HEALTH.frame(facts)
    return frame.select(
        "account_id",
        seconds("scored_on"),
        "score",
        "band",
        *[dimension(frame, d) for d in DIMENSIONS],
        owner(),
    )


def _empty(schema: dict[str, Any]):
    return lambda: pl.DataFrame(schema={**schema, **_ACCOUNT, "segment": pl.String})


def _stamp(model: Any, *columns: Any):
    def stamp(db_session: Session) -> tuple[Any, ...]:
        return tuple(db_session.execute(select(func.count(), *columns).select_from(model)).one())

    return stamp


SUBSCRIPTIONS = Relation(
    "subscriptions",
    "account_id",
    subscriptions,
    read=read_subscriptions,
    empty=_empty(_EVENTS),
    stamp=_stamp(
        SubscriptionEvent, func.max(SubscriptionEvent.id), func.sum(SubscriptionEvent.mrr_after)
    ),
)
RENEWALS = Relation(
    "renewals",
    "account_id",
    renewals,
    read=read_renewals,
    empty=_empty(_RENEWALS),
    stamp=_stamp(Entitlement, func.max(Entitlement.id), func.max(Entitlement.renewal_on)),
)
HEALTH = Relation(
    "health",
    "account_id",
    health,
    read=read_health,
    empty=_empty(_HEALTH),
    stamp=_stamp(HealthScore, func.max(HealthScore.id)),
)
PQLS = Relation(
    "pqls",
    "contact_id",
    pqls,
    read=pql_frame,
    empty=empty_relation,
    stamp=_stamp(PqlMatch, func.max(PqlMatch.id)),
)
RELATIONS = (
    SUBSCRIPTIONS,
    Relation("retention", "account_id", retention),
    RENEWALS,
    HEALTH,
    PQLS,
)
