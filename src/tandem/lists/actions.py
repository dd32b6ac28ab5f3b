"""Bulk actions on a list's selected rows or its whole filter: assign an owner, change the
stage (contacts and leads, through the lifecycle service, with a reason), add to a static list.
Each row is checked on its own (a rep acts only on their own and unassigned rows) and each
change is audited; refused rows are reported with why, never silently skipped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.audit import service as audit
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.db import utcnow
from tandem.lifecycle import service as lifecycle
from tandem.lifecycle.moves import IllegalTransition
from tandem.lifecycle.stages import Stage
from tandem.lists.models import StaticList, StaticListMember
from tandem.lists.sources import source
from tandem.lists.spec import ListSpec

#: Most rows one bulk action changes (narrow the filter above this).
MAX_BULK = 10_000
ACTIONS = ("assign", "stage", "add_to_list")


class BulkError(ValueError):
    """An action that cannot start (bad target, too many rows), with the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class BulkResult:
    """What a bulk action did: rows changed, and rows refused with why (first few kept)."""

    action: str
    changed: int = 0
    refused: int = 0
    reasons: list[str] = field(default_factory=list)

    def refuse(self, record_id: int, why: str) -> None:
        self.refused += 1
        if len(self.reasons) < 20:
            self.reasons.append(f"#{record_id}: {why}")


def _may_change(user: User, owner_id: int | None) -> bool:
    # Managers, admins and marketers work anyone's rows; a rep only their own and unassigned.
    return user.role != Role.SALES_REP or owner_id in (None, user.id)


def run(
    db_session: Session,
    *,
    spec: ListSpec,
    user: User,
    action: str,
    ids: Sequence[int],
    owner_id: int | None = None,
    stage: str = "",
    reason: str = "",
    list_name: str = "",
) -> BulkResult:
    """Apply `action` to the rows `ids` (already limited to what the user may see)."""
    if action not in ACTIONS:
        raise BulkError(
            "action", f"{action[:40]!r} is not a bulk action: one of " + ", ".join(ACTIONS)
        )
    if len(ids) > MAX_BULK:
        raise BulkError(
            "ids", f"{len(ids):,} rows, over the limit of {MAX_BULK:,}: narrow the filter"
        )
    if not ids:
        raise BulkError("ids", "no rows selected")
    src = source(spec.name, db_session)
    rows = dict(db_session.execute(select(src.id, src.owner_id).where(src.id.in_(ids))).all())
    result = BulkResult(action)
    allowed = []
    for record_id in ids:
        if record_id not in rows:
            result.refuse(record_id, "no such record")
        elif not _may_change(user, rows[record_id]):
            result.refuse(record_id, "owned by someone else")
        else:
            allowed.append(record_id)
    if action == "assign":
        _assign(db_session, spec, user, allowed, rows, owner_id, result)
    elif action == "stage":
        _stage(db_session, spec, user, allowed, stage, reason, result)
    else:
        _add(db_session, spec, user, allowed, list_name, result)
    db_session.flush()
    return result


def _assign(
    db_session: Session,
    spec: ListSpec,
    user: User,
    ids: list[int],
    owners: dict[int, int | None],
    owner_id: int | None,
    result: BulkResult,
) -> None:
    target = db_session.get(User, owner_id) if owner_id else None
    if target is None or not target.is_active:
        raise BulkError("owner", "choose an active user as the new owner")
    if user.role == Role.SALES_REP and target.id != user.id:
        raise BulkError("owner", "a sales rep assigns rows to themselves only")
    src = source(spec.name, db_session)
    for record_id in ids:
        if owners[record_id] == target.id:
            continue
        record: Any = db_session.get(src.table, record_id)
        record.owner_id = target.id
        audit.record(
            db_session=db_session,
            actor_user_id=user.id,
            action="list.assign",
            entity_type=spec.entity,
            entity_id=record_id,
            before={"owner_id": owners[record_id]},
            after={"owner_id": target.id},
        )
        result.changed += 1


def _stage(
    db_session: Session,
    spec: ListSpec,
    user: User,
    ids: list[int],
    stage: str,
    reason: str,
    result: BulkResult,
) -> None:
    if not spec.stage_moves:
        raise BulkError("stage", f"the {spec.title} list has no lifecycle stage to change")
    if stage not in {s.value for s in Stage}:
        raise BulkError("stage", f"{stage[:40]!r} is not a lifecycle stage")
    reason = " ".join(reason.split())
    if not reason or len(reason) > 200:
        raise BulkError("reason", "give a reason for the stage change (up to 200 characters)")
    now = utcnow()
    for record_id in ids:
        contact = db_session.get(Contact, record_id)
        if contact is None or contact.lifecycle_stage == stage:
            continue
        try:
            # The lifecycle service is the one stage writer; it audits moves made by a person.
            with db_session.begin_nested():
                lifecycle.move_stage(
                    db_session=db_session,
                    contact=contact,
                    to_stage=Stage(stage),
                    at=now,
                    by_user_id=user.id,
                    cause="list:bulk",
                    reason=reason,
                )
        except IllegalTransition as exc:
            result.refuse(record_id, str(exc))
            continue
        result.changed += 1


def _add(
    db_session: Session,
    spec: ListSpec,
    user: User,
    ids: list[int],
    list_name: str,
    result: BulkResult,
) -> None:
    name = " ".join(list_name.split())
    if not name or len(name) > 100:
        raise BulkError("list_name", "name the list to add to (up to 100 characters)")
    target = db_session.scalars(
        select(StaticList).where(StaticList.entity == spec.entity, StaticList.name == name)
    ).first()
    if target is None:
        target = StaticList(entity=spec.entity, name=name, created_by_id=user.id)
        db_session.add(target)
        db_session.flush()
    present = set(
        db_session.scalars(
            select(StaticListMember.record_id).where(
                StaticListMember.list_id == target.id, StaticListMember.record_id.in_(ids)
            )
        )
    )
    for record_id in ids:
        if record_id in present:
            continue
        db_session.add(StaticListMember(list_id=target.id, record_id=record_id))
        audit.record(
            db_session=db_session,
            actor_user_id=user.id,
            action="list.add",
            entity_type=spec.entity,
            entity_id=record_id,
            after={"static_list": name, "static_list_id": target.id},
        )
        result.changed += 1
