"""Names and links for the records behind a figure, read from the store for one page of ids.

The figure and its list are computed over the columnar copy, which holds ids and dimensions
only; the names come from the store, and only for records the viewer may open. A rep sees every
row of a shared figure, so the count still equals it, but a row the rep may not open shows its
id alone: not its name, amount, stage or dates.
"""

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth import visibility
from tandem.contacts.models import Contact
from tandem.metrics.service import Records
from tandem.opportunities.models import Opportunity

#: (name, link) by record id.
Names = dict[int, tuple[str, str | None]]


#: Ids per lookup: well under SQLite's and PostgreSQL's limits on bound parameters.
CHUNK = 5000


def names(db_session: Session, found: Records, visible_to: visibility.Visibility) -> Names:
    """The name and page of each record listed that the viewer may open (a CSV of every
    record asks in chunks)."""
    ids = sorted({row[0] for row in found.rows if row[0] is not None})
    out: Names = {}
    for i in range(0, len(ids), CHUNK):
        out |= _names(db_session, found.metric.record, ids[i : i + CHUNK], visible_to)
    return out


def _names(
    db_session: Session, record: str, ids: list[int], visible_to: visibility.Visibility
) -> Names:
    if record == "deal":
        query = select(Opportunity.id, Opportunity.name, Opportunity.account_id).where(
            Opportunity.id.in_(ids), visibility.opportunities(visible_to)
        )
        return {i: (n, f"/accounts/{a}" if a else None) for i, n, a in db_session.execute(query)}
    if record == "account":
        account = select(Account.id, Account.name).where(
            Account.id.in_(ids), visibility.owned(Account.owner_id, visible_to)
        )
        return {i: (n, f"/accounts/{i}") for i, n in db_session.execute(account)}
    query = select(Contact.id, Contact.first_name, Contact.last_name, Contact.email).where(
        Contact.id.in_(ids), visibility.contacts(visible_to)
    )
    return {
        i: (" ".join(p for p in (f, last) if p) or e or f"#{i}", f"/contacts/{i}")
        for i, f, last, e in db_session.execute(query)
    }


def masked(found: Records, named: Names) -> list[tuple]:
    """The page's rows, those the viewer may not open reduced to their id: a rep sees that a
    colleague's deal is in the figure, not its amount, stage or product."""
    return [row if row[0] in named else (row[0], *[None] * (len(row) - 1)) for row in found.rows]


def csv_rows(found: Records, named: Names | None = None) -> Iterator[list[object]]:
    """The records as CSV rows: moments in ISO 8601; with `named`, the name first and the
    rows the viewer may not open reduced to their id (`masked`)."""
    rows = found.rows if named is None else masked(found, named)
    for row in rows:
        cells = [v.isoformat() if hasattr(v, "isoformat") else v for v in row]
        yield [named.get(row[0], (None, None))[0], *cells] if named is not None else cells
