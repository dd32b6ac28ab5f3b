"""The account hierarchy in the store: parent links (all checked for cycles together with the
stored ones, written all or nothing) and roll-ups of figures up the tree."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tandem.accounts import hierarchy
from tandem.accounts.errors import InvalidInput
from tandem.accounts.models import Account, AccountParent


def parents(db_session: Session) -> dict[int, int]:
    return dict(db_session.execute(select(AccountParent.account_id, AccountParent.parent_id)).all())


def set_parents(db_session: Session, links: Mapping[int, int | None]) -> int:
    """Set (or clear, with None) accounts' parents; a cycle is refused naming it, and nothing
    is written."""
    merged: dict[int, int | None] = {**parents(db_session), **links}
    cycle = hierarchy.find_cycle(merged)
    if cycle is not None:
        names = dict(
            db_session.execute(select(Account.id, Account.name).where(Account.id.in_(cycle))).all()
        )
        raise InvalidInput([str(hierarchy.HierarchyCycle([names.get(c, c) for c in cycle]))])
    db_session.execute(delete(AccountParent).where(AccountParent.account_id.in_(list(links))))
    db_session.add_all(
        AccountParent(account_id=a, parent_id=p) for a, p in links.items() if p is not None
    )
    db_session.flush()
    return sum(p is not None for p in links.values())


def import_csv(
    db_session: Session, text: str, *, child: str = "account", parent: str = "subsidiary_of"
) -> int:
    """Parent links from a CSV naming accounts by name (Maven CRM's accounts.csv:
    `account`, `subsidiary_of`); unknown names and cycles name their row, nothing half-applied."""
    ids = {name.lower(): aid for aid, name in db_session.execute(select(Account.id, Account.name))}
    links: dict[int, int | None] = {}
    problems = []
    reader = csv.DictReader(io.StringIO(text))
    for n, row in enumerate(reader, start=2):
        name, up = (row.get(child) or "").strip(), (row.get(parent) or "").strip()
        if not up:
            continue
        if name.lower() not in ids:
            problems.append(f"row {n}: no account named {name!r}")
        elif up.lower() not in ids:
            problems.append(f"row {n}: no parent account named {up!r}")
        else:
            links[ids[name.lower()]] = ids[up.lower()]
    if problems:
        raise InvalidInput(problems)
    return set_parents(db_session, links)
