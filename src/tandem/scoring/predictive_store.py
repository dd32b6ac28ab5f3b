"""The predictive score on the workspace's own outcomes: train, store as numbers, score contacts.

Training looks back: features as of `as_of` (fields, activity counts and recencies known then),
label = did the contact reach the outcome between `as_of` and now. Contacts that had already
reached it by `as_of` are left out (they are not leads any more). The same trainer as
`tandem scoring train --csv` (`tabular.train_table`) does the fitting and the honest figures.
Then every contact is scored as of now and its top factors stored beside the rule score.

The fields are today's values, not those as of `as_of` (there is no field history), which is
where leakage creeps in: the trainer's leakage tests get the fields known before first contact,
the columns computed as of `as_of`, and what the store knows of when each field changed (merges
in the audit log, each row's `updated_at`) against when each contact reached the outcome.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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
from tandem.scoring.features import (
    PRE_CONTACT_FIELDS,
    TRAINING_FIELDS,
    dated_columns,
    feature_frame,
)
from tandem.scoring.leakage import Context, FieldChanges
from tandem.scoring.models import ContactPrediction, PredictiveModelRecord
from tandem.scoring.scorecard import TabularModel
from tandem.scoring.tabular import MIN_OUTCOMES, TrainReport, train_table

_REACHED_AT = {"sql": "sql_us", "opportunity": "opportunity_us", "won": "won_us"}


@dataclass(frozen=True)
class Workspace:
    """What the trainer reads from the store."""

    contacts: pl.DataFrame  # contact_id, account_id, created_at, fields
    activities: pl.DataFrame  # contact_id, activity_type, occurred_at
    history: History
    rows_changed: pl.DataFrame  # contact_id, contact_updated_at, account_updated_at
    fields_changed: pl.DataFrame  # contact_id, field, changed_at (dated per-field changes)


def read_workspace(db_session: Session) -> Workspace:
    """Contacts with their fields, every activity's time and type, transitions and deals, and
    the fields' change history."""
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
    return Workspace(
        contacts,
        store.activity_times_frame(connection),
        history,
        store.row_changes_frame(connection),
        store.merged_fields_frame(db_session, TRAINING_FIELDS),
    )


def _reached(history: History, ids: pl.Series, outcome: Outcome, after: datetime) -> pl.Series:
    """Per contact id (in order), when it first reached `outcome` after `after` (null: not)."""
    everyone = pl.DataFrame({"contact_id": ids}).with_columns(
        pl.lit(epoch_us(after)).alias("from_us"), pl.lit(epoch_us(after)).alias("mql_us")
    )
    times = outcomes(everyone, history).select("contact_id", _REACHED_AT[outcome])
    joined = pl.DataFrame({"contact_id": ids}).join(times, on="contact_id", how="left")
    return pl.from_epoch(joined[_REACHED_AT[outcome]], time_unit="us").dt.replace_time_zone("UTC")


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
    """Features as of `as_of` plus `outcome` (reached between `as_of` and `now`) and
    `outcome_at` (when; null when not reached)."""
    frame = feature_frame(workspace.contacts.drop("account_id"), workspace.activities, as_of)
    ids = frame["contact_id"]
    epoch = datetime.fromtimestamp(0, as_of.tzinfo)
    already = _reached(_before(workspace.history, as_of), ids, outcome, epoch).is_not_null()
    later = History(
        workspace.history.contacts,
        workspace.history.activities,
        workspace.history.transitions.filter(pl.col("occurred_at") <= now),  # type: ignore[union-attr]
        workspace.history.opportunities.filter(pl.col("created_at") <= now),  # type: ignore[union-attr]
    )
    reached_at = _reached(later, ids, outcome, as_of)
    return frame.with_columns(
        reached_at.is_not_null().alias("outcome"), reached_at.alias("outcome_at")
    ).filter(~already)


def leakage_context(workspace: Workspace, frame: pl.DataFrame) -> Context:
    """What the leakage tests know of a `training_frame`'s columns: the fields known before
    first contact, the columns computed as of the cut-off, and each field's change history
    aligned with the frame's rows."""
    rows = frame.select("contact_id").join(workspace.rows_changed, on="contact_id", how="left")
    changes = {}
    for field in TRAINING_FIELDS:
        dated = (
            workspace.fields_changed.filter(pl.col("field") == field)
            .group_by("contact_id")
            .agg(pl.col("changed_at").max())
        )
        changed = frame.select("contact_id").join(dated, on="contact_id", how="left")
        account = field.startswith("account.")
        changes[field] = FieldChanges(
            source="accounts.updated_at"
            if account
            else "contact merges in the audit log and contacts.updated_at",
            changed_at=changed["changed_at"],
            row_updated_at=rows["account_updated_at" if account else "contact_updated_at"],
        )
    return Context(
        pre_contact=PRE_CONTACT_FIELDS,
        dated=dated_columns(frame),
        outcome_at=frame["outcome_at"],
        changes=changes,
    )


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
    keep: Sequence[str] = (),
) -> tuple[PredictiveModelRecord, TrainReport, int]:
    """Train on the workspace (NotEnoughOutcomes says why not), make it the active predictive
    model, and score every contact with it. Columns the leakage tests flag are left out unless
    `keep` names them. Audited."""
    workspace = read_workspace(db_session)
    frame = training_frame(workspace, outcome=outcome, as_of=as_of, now=now)
    report = train_table(
        frame.drop("outcome_at"),
        "outcome",
        id_column="contact_id",
        min_outcomes=min_outcomes,
        keep=keep,
        context=leakage_context(workspace, frame),
    )
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
            "leakage": [{"column": f.column, "test": f.test} for f in report.leakage],
            "left_out": report.left_out,
            "kept": report.kept,
            "scored": scored,
        },
    )
    return row, report, scored


def active_predictive(db_session: Session) -> PredictiveModelRecord | None:
    """The predictive model in use, if any."""
    return db_session.scalars(
        select(PredictiveModelRecord).where(PredictiveModelRecord.active_flag == 1)
    ).first()
