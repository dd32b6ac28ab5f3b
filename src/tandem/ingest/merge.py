"""Merge a duplicate contact into the one kept: every row that points at the duplicate (its
activities, stage transitions, deal roles, deals, and any later capability's tables) is moved,
empty fields are filled from it, and the merge is written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import Session

from tandem.audit import service as audit
from tandem.contacts.models import Contact
from tandem.ids import as_id
from tandem.tables import metadata

CONTACTS = Contact.__table__
# Columns not copied from the duplicate: identity and bookkeeping.
_KEEP_OWN = {"id", "email", "created_at", "updated_at", "custom_fields"}


class MergeError(ValueError):
    """The merge cannot be done (unknown contact, same contact twice)."""


@dataclass(frozen=True)
class MergeResult:
    """What moved: the kept and removed contact ids, and rows re-pointed per table."""

    kept_id: int
    removed_id: int
    removed_email: str
    moved: dict[str, int]
    filled: tuple[str, ...]


def _find(db_session: Session, ref: str) -> dict[str, Any]:
    ref_id = as_id(ref)
    where = CONTACTS.c.id == ref_id if ref_id else CONTACTS.c.email == ref.strip().lower()
    row = db_session.execute(select(CONTACTS).where(where)).mappings().one_or_none()
    if row is None:
        raise MergeError(f"no contact {ref!r}")
    return dict(row)


def merge_contacts(
    *, db_session: Session, keep: str, other: str, actor_user_id: int | None
) -> MergeResult:
    """Merge contact `other` into `keep` (ids or emails) in the session's transaction."""
    kept, gone = _find(db_session, keep), _find(db_session, other)
    if kept["id"] == gone["id"]:
        raise MergeError("both refer to the same contact")
    connection = db_session.connection()
    moved = {}
    for table, column, uniques in _references():
        for unique in uniques:
            # Where the kept contact already has the same row (e.g. a role on the same deal),
            # the duplicate's copy is dropped rather than violating the unique constraint.
            twin = table.alias("twin")
            same = [twin.c[c] == table.c[c] for c in unique if c != column.name]
            clash = exists().where(and_(twin.c[column.name] == kept["id"], *same))
            connection.execute(delete(table).where(column == gone["id"], clash))
        result = connection.execute(
            update(table).where(column == gone["id"]).values({column.name: kept["id"]})
        )
        if result.rowcount:
            moved[f"{table.name}.{column.name}"] = result.rowcount
    filled = {
        c: gone[c] for c in kept if c not in _KEEP_OWN and kept[c] is None and gone[c] is not None
    }
    custom = {**(gone["custom_fields"] or {}), **(kept["custom_fields"] or {})}
    custom["merged_emails"] = sorted({*custom.get("merged_emails", []), gone["email"]})
    # The duplicate goes first: its unique email/external id would clash with a copied one.
    connection.execute(delete(CONTACTS).where(CONTACTS.c.id == gone["id"]))
    connection.execute(
        update(CONTACTS).where(CONTACTS.c.id == kept["id"]).values(**filled, custom_fields=custom)
    )
    audit.record(
        db_session=db_session,
        actor_user_id=actor_user_id,
        action="contact.merge",
        entity_type="contact",
        entity_id=kept["id"],
        before={"kept": _jsonable(kept), "removed": _jsonable(gone)},
        after={"moved": moved, "filled": sorted(filled)},
    )
    db_session.flush()
    return MergeResult(kept["id"], gone["id"], gone["email"], moved, tuple(sorted(filled)))


def _references() -> list[tuple[Any, Any, list[tuple[str, ...]]]]:
    """Every (table, column) with a foreign key to contacts.id, and the table's unique sets."""
    from sqlalchemy import UniqueConstraint

    out = []
    for table in metadata.sorted_tables:
        uniques = [
            tuple(c.name for c in u.columns)
            for u in table.constraints
            if isinstance(u, UniqueConstraint)
        ]
        uniques += [tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique]
        for column in table.columns:
            if any(fk.column is CONTACTS.c.id for fk in column.foreign_keys):
                out.append((table, column, [u for u in uniques if column.name in u]))
    return out


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            v.isoformat()
            if hasattr(v, "isoformat")
            else str(v)
            if v is not None and not isinstance(v, int | str | dict | list | bool)
            else v
        )
        for k, v in row.items()
    }


def describe(result: MergeResult) -> str:
    """One line for the CLI."""
    moved = ", ".join(f"{n} {what}" for what, n in sorted(result.moved.items())) or "nothing"
    gone = f"contact {result.removed_id} ({result.removed_email})"
    return f"merged {gone} into {result.kept_id}: moved {moved}"
