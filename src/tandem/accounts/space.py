"""Whitespace in the store: deals per account (products won and in pipeline), the catalogue
(every product a deal names), rolled up the hierarchy when asked."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts import whitespace as pure
from tandem.accounts.tree import parents
from tandem.opportunities.models import Opportunity


def deals(db_session: Session) -> list[pure.Deal]:
    return [
        pure.Deal(aid, product, bool(closed), bool(won))
        for aid, product, closed, won in db_session.execute(
            select(
                Opportunity.account_id,
                Opportunity.product_line,
                Opportunity.is_closed,
                Opportunity.is_won,
            ).where(Opportunity.account_id.is_not(None))
        )
    ]


def catalogue(found: Sequence[pure.Deal]) -> list[str]:
    names: dict[str, str] = {}
    for d in found:
        if d.product:
            names.setdefault(pure.product_key(d.product), d.product)
    return sorted(names.values())


def whitespace(
    db_session: Session, *, account_ids: Sequence[int] | None = None, rollup: bool = False
) -> dict[int, pure.Whitespace]:
    found = deals(db_session)
    return pure.whitespace(
        catalogue(found),
        found,
        accounts=account_ids,
        parents=parents(db_session) if rollup else None,
    )
