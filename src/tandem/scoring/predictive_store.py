"""The predictive score on the workspace's own outcomes: train, store as numbers, score contacts.

Training looks back: features as of `as_of` (fields, activity counts and recencies known then),
label = did the contact reach the outcome between `as_of` and now. Contacts that had already
reached it by `as_of` are left out (they are not leads any more). The same trainer as
`tandem scoring train --csv` (`tabular.train_table`) does the fitting and the honest figures.
Then every contact is scored as of now and its top factors stored beside the rule score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tandem.audit.service import record
from tandem.auth.models import User
from tandem.bulk import insert_frame
from tandem.scoring import store
from tandem.scoring.backtest import History, Outcome, outcomes
from tandem.scoring.engine import epoch_us
from tandem.scoring.features import TRAINING_FIELDS, feature_frame
from tandem.scoring.models import ContactPrediction, PredictiveModelRecord
from tandem.scoring.scorecard import TabularModel
from tandem.scoring.tabular import MIN_OUTCOMES, TrainReport, train_table

_FLAG = {"sql": "reached_sql", "opportunity": "reached_opportunity", "won": "won"}


@dataclass(frozen=True)
class Workspace:
    """What the trainer reads from the store."""

    contacts: pl.DataFrame  # contact_id, account_id, created_at, fields
    activities: pl.DataFrame  # contact_id, activity_type, occurred_at
    history: History


def read_workspace(db_session: Session) -> Workspace:
    """Contacts with their fields, every activity's time and type, transitions and deals."""
    connection = db_session.connection()
    contacts = store.contacts_frame(connection, TRAINING_FIELDS, with_account_id=True).join(
        store.created_frame(connection), on="contact_id"
    )
    history = History(
        contacts=contacts.select("contact_id", "account_id"),
        activities=pl.DataFrame(),
        transitions=store.transitions_frame(connection),
        opportunities=store.opportunities_frame(connection),
    )
    return Workspace(contacts, store.activity_times_frame(connection), history)


def _reached(history: History, ids: pl.Series, outcome: Outcome, after: datetime) -> pl.Series:
    """Per contact id (in order), did it reach `outcome` after `after`."""
    everyone = pl.DataFrame({"contact_id": ids}).with_columns(
        pl.lit(epoch_us(after)).alias("from_us"), pl.lit(epoch_us(after)).alias("mql_us")
    )
    flags = outcomes(everyone, history).select("contact_id", _FLAG[outcome])
    joined = pl.DataFrame({"contact_id": ids}).join(flags, on="contact_id", how="left")
    return joined[_FLAG[outcome]].fill_null(False)


def _before(history: History, moment: datetime) -> History:
    def upto(frame: pl.DataFrame, column: str) -> pl.DataFrame:
        return frame.filter(pl.col(column) <= moment)

    return History(
        history.contacts,
        history.activities,
        upto(history.transitions, "occurred_at"),  # type: ignore[arg-type]
        upto(history.opportunities, "created_at"),  # type: ignore[arg-type]
    )


def training_frame(
    workspace: Workspace, *, outcome: Outcome, as_of: datetime, now: datetime
) -> pl.DataFrame:
    """Features as of `as_of` plus `outcome` (reached between `as_of` and `now`)."""
    frame = feature_frame(workspace.contacts.drop("account_id"), workspace.activities, as_of)
    ids = frame["contact_id"]
    epoch = datetime.fromtimestamp(0, as_of.tzinfo)
    already = _reached(_before(workspace.history, as_of), ids, outcome, epoch)
    later = History(
        workspace.history.contacts,
        workspace.history.activities,
        workspace.history.transitions.filter(pl.col("occurred_at") <= now),  # type: ignore[union-attr]
        workspace.history.opportunities.filter(pl.col("created_at") <= now),  # type: ignore[union-attr]
    )
    label = _reached(later, ids, outcome, as_of)
    return frame.with_columns(label.alias("outcome")).filter(~already)


def score_contacts(
    db_session: Session, workspace: Workspace, model: TabularModel, record_id: int, now: datetime
) -> int:
    """Score every contact as of `now` and replace the stored predictions; returns how many."""
    frame = feature_frame(workspace.contacts.drop("account_id"), workspace.activities, now)
    features = frame.select([c.name for c in model.columns])
    probability = model.predict(features)
    factors = [
        json.dumps([{"feature": f, "weight": round(w, 3)} for f, w in row])
        for row in model.explain(features)
    ]
    out = pl.DataFrame(
        {
            "contact_id": frame["contact_id"],
            "predictive_model_id": record_id,
            "probability": probability,
            "score": (probability * 100).round(0).astype(int),
            "factors": factors,
            "scored_at": [now] * frame.height,
        },
        schema_overrides={"scored_at": pl.Datetime("us", "UTC")},
    )
    db_session.execute(delete(ContactPrediction))
    return insert_frame(db_session.connection(), "contact_predictions", out)


def train_workspace(
    *,
    db_session: Session,
    user: User | None,
    outcome: Outcome,
    as_of: datetime,
    now: datetime,
    min_outcomes: int = MIN_OUTCOMES,
) -> tuple[PredictiveModelRecord, TrainReport, int]:
    """Train on the workspace (NotEnoughOutcomes says why not), make it the active predictive
    model, and score every contact with it. Audited."""
    workspace = read_workspace(db_session)
    frame = training_frame(workspace, outcome=outcome, as_of=as_of, now=now)
    report = train_table(frame, "outcome", id_column="contact_id", min_outcomes=min_outcomes)
    db_session.execute(
        update(PredictiveModelRecord)
        .where(PredictiveModelRecord.active_flag == 1)
        .values(active_flag=None)
    )
    summary = report.as_dict()
    row = PredictiveModelRecord(
        outcome=outcome,
        trained_at=now,
        trained_by_id=user.id if user else None,
        as_of=as_of,
        rows=report.rows,
        positives=report.positives,
        auc=report.auc,
        params=report.model.to_json(),
        report=summary,
        active_flag=1,
    )
    db_session.add(row)
    db_session.flush()
    scored = score_contacts(db_session, workspace, report.model, row.id, now)
    record(
        db_session=db_session,
        actor_user_id=user.id if user else None,
        action="scoring.train",
        entity_type="scoring_predictive_model",
        entity_id=row.id,
        after={
            "outcome": outcome,
            "as_of": as_of.isoformat(),
            "rows": report.rows,
            "positives": report.positives,
            "auc": round(report.auc, 4),
            "leakage": [w.column for w in report.leakage],
            "scored": scored,
        },
    )
    return row, report, scored


def active_predictive(db_session: Session) -> PredictiveModelRecord | None:
    """The predictive model in use, if any."""
    return db_session.scalars(
        select(PredictiveModelRecord).where(PredictiveModelRecord.active_flag == 1)
    ).first()
