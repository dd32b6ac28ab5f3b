"""Product-qualified leads over the store: evaluate the approved PQL rule, remember each match
once per contact and rule version, and move the matching users into the lead funnel as MQLs
through the lifecycle service (the one writer of stages), with cause `pql:<version>`, so the
handoff routes them like any MQL.

Evaluated by `tandem health pql`, and for the users whose usage was just stored
(`UserUsageStored`, published by the `user_usage` import and the usage event API).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl
from sqlalchemy import desc, or_, select, update
from sqlalchemy.orm import Session

from tandem.events import UserUsageStored
from tandem.lifecycle import service as lifecycle
from tandem.lifecycle.stages import Stage
from tandem.sql import insert_ignore
from tandem.usage.definitions import active_pql_rule
from tandem.usage.models import Entitlement, PqlMatch, SubscriptionEvent, UserUsageFact
from tandem.usage.pql import Match, PqlRule, matches, window

#: Stages a PQL moves to MQL: marketing's side (as scoring's MQL rule).
PROMOTABLE = (Stage.SUBSCRIBER, Stage.LEAD, Stage.NURTURE)
USAGE = {"contact_id": pl.Int64, "account_id": pl.Int64, "metric": pl.String,
         "value": pl.Float64, "day": pl.Date}  # fmt: skip


def cause(version: int) -> str:
    """The transition log's actor for a PQL rule version (`pql:3`)."""
    return f"pql:{version}"


@dataclass
class Evaluation:
    """One evaluation: the rule version, the matches, and which contacts it newly matched and
    moved to MQL."""

    version: int
    rule: PqlRule
    as_of: date
    found: list[Match]
    new: list[int] = field(default_factory=list)
    mqls: list[int] = field(default_factory=list)


def plans_in_force(db_session: Session, as_of: date) -> pl.DataFrame:
    """`account_id`, `plan` on `as_of`: the plan of the latest entitlement in force, else of the
    latest subscription change; an account with neither has no row (its plan is unknown)."""
    entitled = db_session.execute(
        select(Entitlement.account_id, Entitlement.plan)
        .where(
            Entitlement.plan.is_not(None),
            Entitlement.valid_from <= as_of,
            or_(Entitlement.valid_to.is_(None), Entitlement.valid_to > as_of),
        )
        .order_by(Entitlement.account_id, desc(Entitlement.valid_from))
    ).all()
    subscribed = db_session.execute(
        select(SubscriptionEvent.account_id, SubscriptionEvent.plan)
        .where(SubscriptionEvent.plan.is_not(None))
        .order_by(SubscriptionEvent.account_id, desc(SubscriptionEvent.occurred_at))
    ).all()
    plans: dict[int, str] = {}
    for account_id, plan in [*entitled, *subscribed]:
        plans.setdefault(account_id, plan)  # entitlements first, then the latest change
    return pl.DataFrame(
        list(plans.items()), schema={"account_id": pl.Int64, "plan": pl.String}, orient="row"
    )


def user_usage(
    db_session: Session, rule: PqlRule, as_of: date, contact_ids: Sequence[int] | None = None
) -> pl.DataFrame:
    """The per-user facts of the rule's metrics in its window (of some contacts only)."""
    after, until = window(rule, as_of)
    query = select(
        UserUsageFact.contact_id, UserUsageFact.account_id, UserUsageFact.metric,
        UserUsageFact.value, UserUsageFact.period_start,
    ).where(
        UserUsageFact.period_start > after,
        UserUsageFact.period_start <= until,
        UserUsageFact.metric.in_([c.metric for c in rule.conditions]),
    )  # fmt: skip
    if contact_ids is not None:
        query = query.where(UserUsageFact.contact_id.in_(contact_ids))
    return pl.DataFrame(db_session.execute(query).all(), schema=USAGE, orient="row")


def evaluate(
    db_session: Session,
    *,
    as_of: date,
    at: datetime,
    store: bool = True,
    contact_ids: Sequence[int] | None = None,
) -> Evaluation | None:
    """The approved rule on `as_of` (None: no rule approved yet). With `store`, each match is
    kept once per contact and version and the new ones on marketing's side become MQLs."""
    active = active_pql_rule(db_session)
    if active is None:
        return None
    rule, version = active
    usage = user_usage(db_session, rule, as_of, contact_ids)
    found = matches(usage=usage, plans=plans_in_force(db_session, as_of), rule=rule, as_of=as_of)
    run = Evaluation(version, rule, as_of, found)
    if store and found:
        store_matches(db_session, run=run, at=at)
    return run


def store_matches(db_session: Session, *, run: Evaluation, at: datetime) -> None:
    """Keep the run's new matches and move those on marketing's side to MQL (`pql:<version>`)."""
    rows = [
        {"contact_id": m.contact_id, "account_id": m.account_id, "rule_version": run.version,
         "plan": m.plan, "matched_on": run.as_of, "matched_at": at, "evidence": m.evidence,
         "became_mql": False}
        for m in run.found
    ]  # fmt: skip
    run.new = [r[0] for r in insert_ignore(db_session, PqlMatch, rows, PqlMatch.contact_id)]
    if not run.new:
        return
    reason = f"product-qualified lead (PQL rule v{run.version}: {run.rule.describe()})"
    run.mqls = lifecycle.promote(
        db_session,
        run.new,
        to_stage=Stage.MQL,
        from_stages=PROMOTABLE,
        at=at,
        cause=cause(run.version),
        reason=reason[:500],
    )
    if run.mqls:
        db_session.execute(
            update(PqlMatch)
            .where(PqlMatch.rule_version == run.version, PqlMatch.contact_id.in_(run.mqls))
            .values(became_mql=True)
        )


def on_user_usage(db_session: Session, event: UserUsageStored) -> None:
    """Evaluate the rule for the users whose usage was just stored, on the day it was."""
    evaluate(db_session, as_of=event.at.date(), at=event.at, contact_ids=list(event.contact_ids))
