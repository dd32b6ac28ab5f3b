"""Scores in the store: the active model, the full rescore after a model change, and reading a
contact's score as of now (decay is applied at read time, never by a nightly job).

The full rescore reads contacts and activities as frames, runs the vectorised `rescore`, and
replaces `contact_scores` in bulk, all in the caller's transaction: if anything fails, the
previous model and its scores stay exactly as they were.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import polars as pl
from sqlalchemy import String, delete, insert, literal, select
from sqlalchemy.orm import Session

from tandem.bulk import big_write_cache, emptied_for_reload, insert_frame
from tandem.engines.rescore import full_rescore
from tandem.events import ScoreChanged, publish
from tandem.scoring import mql, store
from tandem.scoring.engine import ScoreState
from tandem.scoring.loader import load_model_text
from tandem.scoring.model import ScoringModel
from tandem.scoring.models import ContactScore, ContactScoreHistory, ScoringModelVersion
from tandem.scoring.rescore import parts_json


def sha256(text: str) -> str:
    """Content hash of a model's YAML, as stored with each version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=32)
def _parsed(digest: str, text: str, label: str) -> ScoringModel:
    # Keyed by content hash: parsing validates regexes with Polars, too slow to repeat per event.
    return load_model_text(text, filename=label)


def model_of(version: ScoringModelVersion) -> ScoringModel:
    """The parsed model of a stored version (cached by content)."""
    return _parsed(version.sha256, version.yaml_text, version.label)


def active_version(db_session: Session) -> ScoringModelVersion | None:
    """The version in force, if any."""
    return db_session.scalars(
        select(ScoringModelVersion).where(ScoringModelVersion.active_flag == 1)
    ).first()


@dataclass(frozen=True, slots=True)
class VersionRef:
    """The id and label of a version: all the per-activity path needs of it."""

    id: int
    label: str


_by_digest: dict[str, ScoringModel] = {}


@lru_cache(maxsize=1)
def _active_statement() -> Any:
    # Built once: constructing a statement costs more than running this indexed lookup.
    return select(
        ScoringModelVersion.id,
        ScoringModelVersion.name,
        ScoringModelVersion.version,
        ScoringModelVersion.sha256,
    ).where(ScoringModelVersion.active_flag == 1)


def active_model(db_session: Session) -> tuple[VersionRef, ScoringModel] | None:
    """The version in force and its parsed model.

    Asked on every stored activity, so it reads four small columns and fetches the YAML only
    the first time a version is seen (parsed models are kept by content hash).
    """
    row = db_session.execute(_active_statement()).first()
    if row is None:
        return None
    ref = VersionRef(row.id, f"{row.name}@{row.version}")
    model = _by_digest.get(row.sha256)
    if model is None:
        text = db_session.scalar(
            select(ScoringModelVersion.yaml_text).where(ScoringModelVersion.id == row.id)
        )
        model = _by_digest[row.sha256] = load_model_text(text or "", filename=ref.label)
    return ref, model


@dataclass(frozen=True, slots=True)
class RescoreSummary:
    """What a full rescore did."""

    contacts: int
    mqls: int
    promoted: int
    seconds_read: float
    seconds_score: float
    seconds_write: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (for the audit log and the API)."""
        return {
            "contacts": self.contacts,
            "mqls": self.mqls,
            "promoted_to_mql": self.promoted,
            "seconds": {
                "read": round(self.seconds_read, 3),
                "score": round(self.seconds_score, 3),
                "write": round(self.seconds_write, 3),
            },
        }


def _history_from_scores(db_session: Session, contact_ids: list[int] | None) -> None:
    """A history point per score just stored, copied by the database itself: the same values
    without a second million rows through the driver."""
    score = ContactScore
    names = ("contact_id", "model_version_id", "fit", "engagement", "total", "is_mql", "at",
             "cause")  # fmt: skip
    copied = select(
        score.contact_id, score.model_version_id, score.fit, score.engagement, score.total,
        score.is_mql, score.scored_at, literal("rescore", String(20)),
    )  # fmt: skip
    for chunk in _chunks(contact_ids):
        rows = copied if chunk is None else copied.where(score.contact_id.in_(chunk))
        db_session.execute(insert(ContactScoreHistory).from_select(names, rows))


def _previous_mqls(db_session: Session, ids: list[int] | None) -> pl.DataFrame:
    query = select(ContactScore.contact_id).where(ContactScore.is_mql.is_(True))
    found: list[int] = []
    for chunk in _chunks(ids):
        part = query if chunk is None else query.where(ContactScore.contact_id.in_(chunk))
        found += db_session.execute(part).scalars().all()
    return pl.DataFrame({"contact_id": found}, schema={"contact_id": pl.Int64})


def _chunks(ids: list[int] | None, size: int = 5_000) -> list[list[int] | None]:
    return [None] if ids is None else [ids[i : i + size] for i in range(0, len(ids), size)]


def rescore_all(
    *,
    db_session: Session,
    version: ScoringModelVersion | VersionRef,
    as_of: datetime,
    model: ScoringModel | None = None,
    contact_ids: list[int] | None = None,
) -> RescoreSummary:
    """Score every contact (or only `contact_ids`) with `version` as of `as_of`; store scores,
    history and MQL moves, vectorised.

    Contacts that meet the MQL rule now but were not stored as MQLs before are promoted
    (see `mql.promote`); nobody is demoted. The stored engine state is cleared: the next
    single activity rebuilds it from the contact's history.
    """
    import time

    if model is None:
        assert isinstance(version, ScoringModelVersion), "give the model with a VersionRef"
        model = model_of(version)
    db_session.flush()
    connection = db_session.connection()
    t0 = time.perf_counter()
    contacts = store.contacts_frame(connection, store.model_fields(model), ids=contact_ids)
    activities = store.activities_frame(connection, model, ids=contact_ids)
    t1 = time.perf_counter()
    out = full_rescore(model, contacts, activities, as_of=as_of)  # stored only once whole
    del contacts, activities  # the write reads neither: their gigabytes go before it starts
    scores = out.scores.join(parts_json(out.parts), on="contact_id", how="left")
    del out
    t2 = time.perf_counter()
    before = _previous_mqls(db_session, contact_ids)
    points = [pl.col(c).cast(pl.Float64) for c in ("fit", "engagement", "total")]
    frame = scores.select(
        "contact_id",
        pl.lit(version.id).alias("model_version_id"),
        pl.lit(version.label).alias("model_version"),
        *points,
        "grade",
        "is_mql",
        pl.col("parts").fill_null("[]"),
        pl.lit(as_of).alias("scored_at"),
    )
    with big_write_cache(connection):
        if contact_ids is None:
            with emptied_for_reload(connection, "contact_scores"):
                insert_frame(connection, "contact_scores", frame)
        else:
            for chunk in _chunks(contact_ids):
                db_session.execute(delete(ContactScore).where(ContactScore.contact_id.in_(chunk)))
            insert_frame(connection, "contact_scores", frame)
        _history_from_scores(db_session, contact_ids)
    publish(db_session, ScoreChanged(scores["contact_id"].to_list(), version.label, "rescore"))
    new_mqls = scores.filter(pl.col("is_mql")).join(before, on="contact_id", how="anti")
    reason = f"met the MQL rule ({mql.mql_rule_text(model.mql)}) of {version.label}"
    promoted = mql.promote(
        db_session,
        new_mqls["contact_id"].to_list(),
        at=as_of,
        model_label=version.label,
        reason=reason,
    )
    db_session.expire_all()  # bulk writes bypassed the identity map
    return RescoreSummary(
        contacts=scores.height,
        mqls=int(scores["is_mql"].sum()),
        promoted=len(promoted),
        seconds_read=t1 - t0,
        seconds_score=t2 - t1,
        seconds_write=time.perf_counter() - t2,
    )


def state_from_json(data: dict[str, Any] | None) -> ScoreState:
    """The engine's state from its stored JSON (rule id -> occurrence times, epoch us)."""
    return ScoreState({k: tuple(int(t) for t in v) for k, v in (data or {}).items()})


def state_to_json(state: ScoreState) -> dict[str, list[int]]:
    """The engine's state as JSON."""
    return {k: list(v) for k, v in state.occurrences.items()}
