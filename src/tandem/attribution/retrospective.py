"""The deal retrospective ("closing the loop"): every touch of a won or lost deal, both teams,
in time order, with the milestone marks and each model's credit per touch.

Credits come from the same `run_attribution` as the report, over every closed deal (won
revenue) for a won deal, or every opportunity (pipeline) for a lost or open one, so Markov
and Shapley learn from the whole history and the deal's credits match the report's.
"""

from datetime import timedelta
from decimal import Decimal

import polars as pl
from sqlalchemy.orm import Session

from tandem.activities import types as activity_types
from tandem.attribution import MILESTONES, AttributionConfig, lookups
from tandem.attribution.money import from_cents
from tandem.attribution.report import model_infos
from tandem.attribution.schemas import AttributionFilters, RetroEvent, Retrospective
from tandem.attribution.service import OpportunityNotFound, run_attribution
from tandem.opportunities.models import Opportunity


def _milestone_names(mask: int) -> list[str]:
    return [name for bit, name in enumerate(MILESTONES) if mask & (1 << bit)]


def _touch_event(row: dict, credits: dict[int, dict[str, Decimal]], marks: dict[int, int]):
    known = activity_types.is_known(row["type"])
    kind = activity_types.get(row["type"]) if known else None
    name = " ".join(p for p in (row["first_name"], row["last_name"]) if p) or row["email"]
    activity_id = row["activity_id"]
    return RetroEvent(
        kind="touch",
        occurred_at=row["occurred_at"],
        activity_id=activity_id,
        contact_id=row["contact_id"],
        contact_name=name,
        type=row["type"],
        label=kind.label if kind else row["type"],
        team=kind.team.value if kind else "unknown",
        channel=row["channel"],
        campaign=row["campaign"],
        asset=row["asset"],
        milestones=_milestone_names(marks.get(activity_id, 0)),
        in_window=activity_id in marks,
        credits=credits.get(activity_id, {}),
    )


def build_retrospective(
    *, db_session: Session, opportunity_id: int, config: AttributionConfig
) -> Retrospective:
    """The retrospective of one opportunity; raises OpportunityNotFound."""
    opportunity = db_session.get(Opportunity, opportunity_id)
    if opportunity is None:
        raise OpportunityNotFound(f"no opportunity with id {opportunity_id}")
    # The window runs back from the creation, and the credit splits the amount: without
    # either there is nothing to retrace (the run leaves such deals out).
    for name, what in (("created_at", "no attribution window"), ("amount", "nothing to credit")):
        if getattr(opportunity, name) is None:
            reason = opportunity.unknown.get(name, f"{name} unknown")
            raise OpportunityNotFound(f"opportunity {opportunity_id}: {reason}: {what}")
    outcome = "won" if opportunity.is_won else "lost" if opportunity.is_closed else "open"
    basis = "won" if outcome == "won" and opportunity.closed_at is not None else "pipeline"
    run = run_attribution(
        db_session=db_session, filters=AttributionFilters(basis=basis), config=config
    )
    deal = run.deals.filter(pl.col("opportunity_id") == opportunity_id).row(0, named=True)
    result, window = run.result, config.window
    mine = result.credits.filter(pl.col("opportunity_id") == opportunity_id)
    credits = {
        row["activity_id"]: {m: from_cents(row[m]) for m in result.models}
        for row in mine.iter_rows(named=True)
    }
    touched = run.touches.filter(pl.col("opportunity_id") == opportunity_id)
    marks = dict(zip(touched["activity_id"], touched["milestones"], strict=True))
    window_start = deal["created_at"] - timedelta(days=window.lookback_days)
    closed = deal["closed_at"]
    window_end = closed if window.until_close and closed is not None else deal["created_at"]
    connection = db_session.connection()
    listing = lookups.deal_touches(
        connection, opportunity_id, scope=run.scope, since=window_start, until=closed
    )
    events = [_touch_event(row, credits, marks) for row in listing.iter_rows(named=True)]
    if deal["mql_at"] is not None:
        events.append(RetroEvent(kind="mql", occurred_at=deal["mql_at"], label="Became MQL"))
    events.append(
        RetroEvent(
            kind="opportunity_created", occurred_at=deal["created_at"], label="Opportunity created"
        )
    )
    if closed is not None:
        events.append(RetroEvent(kind="closed", occurred_at=closed, label=f"Closed {outcome}"))
    # Milestone events follow the touches of the same moment: the touch came first.
    events.sort(key=lambda e: (e.occurred_at, e.kind != "touch", e.activity_id or 0))
    teams: dict[str, int] = {}
    for event in events:
        if event.team:
            teams[event.team] = teams.get(event.team, 0) + 1
    return Retrospective(
        opportunity_id=opportunity.id,
        name=opportunity.name,
        account_id=opportunity.account_id,
        account_name=lookups.account_name(connection, opportunity.account_id),
        amount=from_cents(deal["amount_cents"]),
        stage=opportunity.stage,
        outcome=outcome,
        basis=basis,
        created_at=deal["created_at"],
        closed_at=closed,
        mql_at=deal["mql_at"],
        window_start=window_start,
        window_end=window_end,
        contacts=run.scope,
        config_version=result.config_version,
        models=model_infos(result.models),
        events=events,
        totals={m: from_cents(mine[m].sum()) for m in result.models},
        unattributed=mine.height == 0,
        touches_by_team=teams,
    )


#: Shown instead of the name of a contact the viewer may not open.
HIDDEN_CONTACT = "a contact of another rep"


def for_viewer(retro: Retrospective, readable: set[int]) -> Retrospective:
    """`retro` with the touches of contacts the viewer may not open unnamed and unlinked (the
    touches and their credit stay: they are the deal's)."""
    events = [
        e
        if e.contact_id is None or e.contact_id in readable
        else e.model_copy(update={"contact_id": None, "contact_name": HIDDEN_CONTACT})
        for e in retro.events
    ]
    return retro.model_copy(update={"events": events})
