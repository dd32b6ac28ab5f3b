"""The one writer of stage changes: every move is checked, logged and announced here.

The handoff (accept, reject), scoring (MQL promotion), imports (row by row and set-based) and
the event API all move contacts through these functions; a test fails if any other module
inserts into `stage_transitions`. The contact's stage, its `stage_entered_at` and the log row
are written in the caller's transaction, and `StageChanged` is published on the session's bus
in that same transaction (the handoff routes a new MQL there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from tandem.audit import service as audit
from tandem.bulk import BulkWriter, insert_frame
from tandem.contacts.models import Contact
from tandem.events import StageChange, StageChanged, publish
from tandem.lifecycle.durations import Measure, StageSpan, stage_spans
from tandem.lifecycle.models import StageTransition
from tandem.lifecycle.moves import IllegalTransition, Move, check_move, import_verdicts
from tandem.lifecycle.stages import Stage

TRANSITIONS = StageTransition.__table__
CONTACTS = Contact.__table__
_CHUNK = 5_000


def move_stage(
    *,
    db_session: Session,
    contact: Contact,
    to_stage: Stage | str,
    at: dt.datetime,
    by_user_id: int | None = None,
    cause: str | None = None,
    reason: str | None = None,
    move: Move | None = None,
) -> StageTransition:
    """Move `contact` to `to_stage` (raises IllegalTransition when the table forbids it).

    `cause` names what triggered the move (a scoring model version, a routing or SLA rule,
    `handoff:accept`...) and is stored as the log row's actor. Pass a `move` already checked
    (e.g. from `reject_move`) to log it as is.
    """
    checked = move or check_move(contact.lifecycle_stage, to_stage, reason)
    if checked.from_stage != (contact.lifecycle_stage or None) or checked.to_stage != to_stage:
        raise ValueError("the checked move does not match the contact's stage change")
    row = StageTransition(
        contact_id=contact.id,
        from_stage=contact.lifecycle_stage,
        to_stage=checked.to_stage.value,
        occurred_at=at,
        by_user_id=by_user_id,
        actor=cause,
        reason=checked.reason,
    )
    db_session.add(row)
    before = contact.lifecycle_stage
    contact.lifecycle_stage = checked.to_stage.value
    contact.stage_entered_at = at
    if by_user_id is not None:  # a person moved it (accept, reject, an override): audited
        audit.record(
            db_session=db_session,
            actor_user_id=by_user_id,
            action="stage.move",
            entity_type="contact",
            entity_id=contact.id,
            before={"stage": before},
            after={"stage": checked.to_stage.value, "cause": cause, "reason": checked.reason},
        )
    db_session.flush()
    change = StageChange(contact.id, before, checked.to_stage.value, at, cause)
    publish(db_session, StageChanged((change,)))
    return row


def enter_stage(
    *,
    db_session: Session,
    contact: Contact,
    stage: Stage | str,
    at: dt.datetime,
    by_user_id: int | None,
) -> StageTransition:
    """Add the new `contact` in `stage` (where a person created it) and log its entry."""
    checked = check_move(None, stage)
    contact.lifecycle_stage = checked.to_stage.value
    contact.stage_entered_at = at
    db_session.add(contact)
    db_session.flush()
    row = StageTransition(
        contact_id=contact.id,
        from_stage=None,
        to_stage=checked.to_stage.value,
        occurred_at=at,
        by_user_id=by_user_id,
        actor="manual",
    )
    db_session.add(row)
    db_session.flush()
    change = StageChange(contact.id, None, checked.to_stage.value, at, "manual")
    publish(db_session, StageChanged((change,)))
    return row


def promote(
    db_session: Session,
    contact_ids: Sequence[int],
    *,
    to_stage: Stage,
    from_stages: Sequence[Stage],
    at: dt.datetime,
    cause: str,
    reason: str,
) -> list[int]:
    """Move those of `contact_ids` still in one of `from_stages` to `to_stage`, set-based;
    returns who moved. Each (from, to) pair is checked against the table once; the conditional
    UPDATE leaves a contact whose stage changed meanwhile where it is (never moved twice).
    Core statements built once: an MQL made by one event is promoted inside its request.
    Contacts the session holds are expired, so they read their new stage."""
    stages_of, move_from = _PROMOTE
    changes: list[StageChange] = []
    wanted = [s.value for s in from_stages]
    for start in range(0, len(contact_ids), _CHUNK):
        chunk = list(contact_ids[start : start + _CHUNK])
        stages = db_session.execute(stages_of, {"ids": chunk, "stages": wanted}).scalars().all()
        for stage in stages:
            move = check_move(stage, to_stage, reason)  # nurture -> MQL is a reopen: has reason
            ids = db_session.execute(
                move_from,
                {"ids": chunk, "stage": stage, "to": move.to_stage.value, "at": at},
            ).scalars()
            moved = [StageChange(cid, stage, move.to_stage.value, at, cause) for cid in ids]
            if moved:
                db_session.execute(
                    TRANSITIONS.insert(),
                    [
                        {
                            "contact_id": c.contact_id,
                            "from_stage": c.from_stage,
                            "to_stage": c.to_stage,
                            "occurred_at": at,
                            "actor": cause,
                            "reason": move.reason,
                        }
                        for c in moved
                    ],
                )
                changes += moved
    if changes:
        for contact in [o for o in db_session.identity_map.values() if isinstance(o, Contact)]:
            db_session.expire(contact, ["lifecycle_stage", "stage_entered_at"])
        publish(db_session, StageChanged(changes))
    return [c.contact_id for c in changes]


_PROMOTE = (
    select(CONTACTS.c.lifecycle_stage)
    .where(
        CONTACTS.c.id.in_(bindparam("ids", expanding=True)),
        CONTACTS.c.lifecycle_stage.in_(bindparam("stages", expanding=True)),
    )
    .distinct(),
    update(CONTACTS)
    .where(
        CONTACTS.c.id.in_(bindparam("ids", expanding=True)),
        CONTACTS.c.lifecycle_stage == bindparam("stage"),
    )
    .values(lifecycle_stage=bindparam("to"), stage_entered_at=bindparam("at"))
    .returning(CONTACTS.c.id),
)


#: (from, to) -> None when an import may make the move without a reason, else why not.
IMPORT_VERDICTS = import_verdicts()


def import_refusal(from_stage: str | None, to_stage: str) -> str | None:
    """Why an import may not move a contact from `from_stage` to `to_stage` (None: it may)."""
    if from_stage is None or from_stage == to_stage:
        return None
    return IMPORT_VERDICTS.get((from_stage, to_stage), f"unknown stage {to_stage!r}")


def refused_imports(moves: pl.DataFrame) -> pl.DataFrame:
    """Set-based `import_refusal`: `moves` (from_stage, to_stage) with a `refusal` column added,
    null where the move is allowed."""
    verdicts = pl.DataFrame(
        [(f, t, v) for (f, t), v in IMPORT_VERDICTS.items()],
        schema={"from_stage": pl.String, "to_stage": pl.String, "refusal": pl.String},
        orient="row",
    )
    return moves.join(verdicts, on=["from_stage", "to_stage"], how="left", maintain_order="left")


def log_import_moves(
    connection: Connection, moves: pl.DataFrame, *, cause: str
) -> list[StageChange]:
    """Log moves an import made (`contact_id`, `from_stage`, `to_stage`, `occurred_at`,
    `_known`: whether the record gave the stage date) and stamp `stage_entered_at` where it
    did not. The caller has applied the stage to the contacts and refused what the import
    policy forbids; a refused move reaching here is a bug, raised before anything is written.
    Returns the changes for the caller to publish once its session exists."""
    if moves.height == 0:
        return []
    checked = refused_imports(moves.select("from_stage", "to_stage"))
    bad = checked.filter(pl.col("from_stage").is_not_null() & pl.col("refusal").is_not_null())
    if bad.height:
        frm, to, why = bad.row(0)
        raise IllegalTransition(frm, to, why)
    at = pl.col("occurred_at").cast(pl.Datetime("us", "UTC"))
    transitions = moves.select(
        "contact_id", "from_stage", "to_stage", at, pl.lit(cause).alias("actor")
    )  # fmt: skip
    insert_frame(connection, TRANSITIONS.name, transitions)
    stamp = moves.filter(~pl.col("_known"))
    if stamp.height:
        connection.execute(
            update(CONTACTS)
            .where(CONTACTS.c.id == bindparam("cid"))
            .values(stage_entered_at=bindparam("at")),
            [{"cid": c, "at": t} for c, t in stamp.select("contact_id", "occurred_at").iter_rows()],
        )
    return [
        StageChange(c, f, t, at_, cause)
        for c, f, t, at_ in moves.select(
            "contact_id", "from_stage", "to_stage", "occurred_at"
        ).iter_rows()
    ]


def write_history(writer: BulkWriter, transitions: pl.DataFrame) -> int:
    """Bulk-load a generated transition log (the demo's), every move checked against the table
    first (a generator that invents a move sales would refuse fails here, not in a dashboard).
    Returns the rows written."""
    moves = transitions.select("from_stage", "to_stage").unique()
    for frm, to in moves.iter_rows():
        if frm is not None:
            check_move(frm, to, "generated")
    return writer.write(TRANSITIONS.name, transitions)


MOVE_SCHEMA = {
    "contact_id": pl.Int64,
    "from_stage": pl.String,
    "to_stage": pl.String,
    "occurred_at": pl.Datetime("us", "UTC"),
    "_known": pl.Boolean,
}


def stage_history(
    *,
    db_session: Session,
    contact_id: int,
    as_of: dt.datetime,
    measure: Measure | None = None,
) -> list[StageSpan]:
    """Each stay of the contact in each stage, derived from its transition log."""
    rows = db_session.execute(
        select(
            StageTransition.contact_id,
            StageTransition.from_stage,
            StageTransition.to_stage,
            StageTransition.occurred_at.label("at"),
        )
        .where(StageTransition.contact_id == contact_id)
        .order_by(StageTransition.occurred_at, StageTransition.id)
    ).all()
    return stage_spans(rows, as_of, measure=measure)
