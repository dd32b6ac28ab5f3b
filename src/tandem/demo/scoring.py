"""The demo's scoring: a model put in force the way a real workspace does it.

The demo marketer proposes `scoring_v1.yaml` and the demo sales manager approves it through the
real approval service (so the audit log and /scoring show who did what, and approval rescores
every contact and moves the contacts that meet the MQL rule to `mql`). The contacts' score over
the weeks before is replayed with the same model (`cause = "replay"`), so every contact page
has a history. Then the marketer proposes `scoring_v2.yaml`, left pending for the sales manager,
so the approval page has a diff to show; and a predictive score is trained on the workspace's
outcomes when there are enough of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.bulk import insert_frame
from tandem.scoring import approval, service, store
from tandem.scoring.errors import NotEnoughOutcomes
from tandem.scoring.grid import score_grid
from tandem.scoring.model import ScoringModel
from tandem.scoring.models import ScoringModelVersion
from tandem.scoring.rescore import mql_expr

HERE = Path(__file__).parent
MODEL_FILES = (HERE / "scoring_v1.yaml", HERE / "scoring_v2.yaml")
MARKETER = "marketer@tandem.demo"
SALES_MANAGER = "manager@tandem.demo"
V1_NOTE = "Starting model for the demo workspace, adapted from examples/scoring/default.yaml"
APPROVE_NOTE = "Agreed at the revenue review: fit 40 and engagement 30 before we call it an MQL"
V2_NOTE = (
    "Backtest: about 65% more MQLs a month than v1 at a similar conversion; "
    "VPs and C-level weigh more, webinar sign-ups count, ad clicks no longer do"
)


@dataclass(frozen=True)
class DemoScoring:
    """What the demo's scoring setup did."""

    active: str
    pending: str
    pending_id: int
    contacts: int
    mqls: int
    promoted: int
    history_points: int
    predictive_auc: float | None
    predictive_note: str


def _user(db_session: Session, email: str) -> User:
    user = auth.get_by_email(db_session=db_session, email=email)
    if user is None:
        raise LookupError(f"demo user {email} is missing (run ensure_demo_users first)")
    return user


def replay_history(
    db_session: Session,
    version: ScoringModelVersion,
    model: ScoringModel,
    *,
    now: datetime,
    weeks: int = 12,
) -> int:
    """Append each contact's score with `model` at weekly points before `now` (only the points
    where fit or engagement changed); returns how many were written."""
    connection = db_session.connection()
    dates = [now - timedelta(weeks=w) for w in range(weeks, 0, -1)]
    grid = score_grid(
        model,
        store.contacts_frame(connection, store.model_fields(model)),
        store.activities_frame(connection, model),
        dates,
    ).sort("contact_id", "k")
    changed = (
        (pl.col("contact_id") != pl.col("contact_id").shift(1))
        | (pl.col("fit_cents") != pl.col("fit_cents").shift(1))
        | (pl.col("engagement_cents") != pl.col("engagement_cents").shift(1))
    ).fill_null(True)
    at = pl.DataFrame({"k": range(len(dates)), "at": dates}).with_columns(
        pl.col("k").cast(pl.Int32), pl.col("at").dt.cast_time_unit("us")
    )
    points = (
        grid.filter(changed)
        .join(at, on="k")
        .select(
            "contact_id",
            pl.lit(version.id).alias("model_version_id"),
            *((pl.col(f"{c}_cents") / 100).alias(c) for c in ("fit", "engagement", "total")),
            mql_expr(model.mql.total, model.mql.fit, model.mql.engagement),
            "at",
            pl.lit("replay").alias("cause"),
        )
    )
    return insert_frame(connection, "contact_score_history", points)


def setup_scoring(
    db_session: Session, *, now: datetime, history_weeks: int = 12, train: bool = True
) -> DemoScoring:
    """Propose and approve version 1, replay its history, propose version 2 (left pending) and
    train the predictive score on the workspace's opportunities."""
    marketer = _user(db_session, MARKETER)
    manager = _user(db_session, SALES_MANAGER)
    v1_text, v2_text = (path.read_text(encoding="utf-8") for path in MODEL_FILES)
    v1 = approval.propose(
        db_session=db_session,
        user=marketer,
        yaml_text=v1_text,
        now=now,
        note=V1_NOTE,
        filename=MODEL_FILES[0].name,
    )
    active, summary = approval.approve(
        db_session=db_session, user=manager, version_id=v1.id, now=now, note=APPROVE_NOTE
    )
    replayed = replay_history(
        db_session, active, service.model_of(active), now=now, weeks=history_weeks
    )
    v2 = approval.propose(
        db_session=db_session,
        user=marketer,
        yaml_text=v2_text,
        now=now,
        note=V2_NOTE,
        filename=MODEL_FILES[1].name,
    )
    auc, note = None, "not trained (--no-predictive)"
    if train:
        from tandem.scoring.predictive_store import train_workspace

        try:  # refuses before writing anything when there are too few outcomes
            _, report, _ = train_workspace(
                db_session=db_session,
                user=marketer,
                outcome="opportunity",
                as_of=now - timedelta(days=180),
                now=now,
            )
            auc, note = report.auc, f"predicting opportunities, AUC {report.auc:.2f}"
        except NotEnoughOutcomes as exc:
            note = f"not trained: {exc}"
    return DemoScoring(
        active=active.label,
        pending=v2.label,
        pending_id=v2.id,
        contacts=summary.contacts,
        mqls=summary.mqls,
        promoted=summary.promoted,
        history_points=replayed,
        predictive_auc=auc,
        predictive_note=note,
    )
