"""Where the handoff reads lead scores from: a small provider interface, so the queue and the
packet work before scoring is stored and light up once it is.

A provider takes a session and contact ids and returns a `ScoreView` per contact it knows.
The default, `table_scores`, reads a `contact_scores` table when one exists (columns
`contact_id`, `total`, and optionally `grade`, `model_version`, `parts` as a JSON list of
`{rule_id, kind, points}`); otherwise every lead shows "score not available".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from pydantic import BaseModel
from sqlalchemy import Integer, column, inspect, select, table
from sqlalchemy.orm import Session

from tandem.sql import in_param, is_postgres

SCORES_TABLE = "contact_scores"
_CHUNK = 5_000  # ids per IN (...) query; well under every driver's parameter limit


class ScorePart(BaseModel):
    """What one scoring rule gave the lead."""

    rule_id: str
    kind: str | None = None
    points: float


class ScoreView(BaseModel):
    """A lead's score as the handoff shows it: total, grade and why."""

    total: float
    grade: str | None = None
    model_version: str | None = None
    parts: list[ScorePart] = []


ScoreProvider = Callable[[Session, Sequence[int]], Mapping[int, ScoreView]]


def no_scores(db_session: Session, contact_ids: Sequence[int]) -> Mapping[int, ScoreView]:
    """A provider that knows no scores."""
    return {}


def table_scores(db_session: Session, contact_ids: Sequence[int]) -> Mapping[int, ScoreView]:
    """Scores from the `contact_scores` table, or none while that table does not exist."""
    if not contact_ids:
        return {}
    statement = _statement(db_session.get_bind())
    if statement is None:
        return {}
    out: dict[int, ScoreView] = {}
    ids = list(contact_ids)
    for start in range(0, len(ids), _CHUNK):
        rows = db_session.execute(statement, {"ids": ids[start : start + _CHUNK]}).mappings()
        for row in rows:
            out[int(row["contact_id"])] = _view(row)
    return out


#: The scores query per engine (None: no usable table), read from the schema once: an MQL's
#: routing happens inside the request that made it, so no reflection per request.
_STATEMENTS: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()


def _statement(bind: Any) -> Any:
    engine = getattr(bind, "engine", bind)
    if engine in _STATEMENTS:
        return _STATEMENTS[engine]
    inspector = inspect(engine)
    found = None
    if inspector.has_table(SCORES_TABLE):
        present = {c["name"] for c in inspector.get_columns(SCORES_TABLE)}
        if {"contact_id", "total"} <= present:
            names = ("contact_id", "total", "grade", "model_version", "parts")
            scores = table(SCORES_TABLE, *(column(c) for c in names if c in present))
            ids = in_param(scores.c.contact_id, "ids", is_postgres(engine), Integer())
            found = select(scores).where(ids)
    if found is not None:  # a missing table may be created later (migrations): ask again then
        _STATEMENTS[engine] = found
    return found


def _view(row: Mapping[str, Any]) -> ScoreView:
    parts = row.get("parts") or []
    if isinstance(parts, str):
        parts = json.loads(parts)  # SQLite hands JSON back as text through a bare table()
    return ScoreView(
        total=float(row["total"]),
        grade=row.get("grade"),
        model_version=None if row.get("model_version") is None else str(row["model_version"]),
        parts=[ScorePart.model_validate(p) for p in parts],
    )
