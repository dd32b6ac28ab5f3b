"""The object rules of tandem.auth.permissions as SQL, for every list a page embeds.

`permissions.may_read` guards the record a route opens; the lists inside a page (an account's
contacts and deals, a contact's deals, a packet's buying committee, the contact list) filter
with these clauses, so a rep never sees a link to a record the rep would be refused.
`Visibility` is `permissions.visible_owner_ids`: None sees everything, else
(unassigned ones too?, the rep's user id).
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from tandem.accounts.models import Account
from tandem.contacts.models import Contact
from tandem.opportunities.models import Opportunity

Visibility = tuple[bool, int] | None


def owned(
    owner_id: InstrumentedAttribute[int | None], visible_to: Visibility
) -> ColumnElement[bool]:
    """Rows whose owner column the viewer may see: own, and unassigned when allowed."""
    if visible_to is None:
        return true()
    unassigned, own_id = visible_to
    mine = owner_id == own_id
    return or_(mine, owner_id.is_(None)) if unassigned else mine


def contacts(visible_to: Visibility) -> ColumnElement[bool]:
    """Contacts the viewer may open: owned as above, or a lead routed to the rep."""
    if visible_to is None:
        return true()
    from tandem.handoff.models import Handoff  # handoff imports contacts: import late

    routed = exists().where(Handoff.contact_id == Contact.id, Handoff.owner_id == visible_to[1])
    return or_(owned(Contact.owner_id, visible_to), routed)


def opportunities(visible_to: Visibility) -> ColumnElement[bool]:
    """Deals the viewer may open."""
    return owned(Opportunity.owner_id, visible_to)


def holds_visible(account_id: Any, visible_to: tuple[bool, int]) -> ColumnElement[bool]:
    """The account `account_id` (a value or a column) holds a contact or a deal the viewer
    may open."""
    return or_(
        exists().where(Contact.account_id == account_id, contacts(visible_to)),
        exists().where(Opportunity.account_id == account_id, opportunities(visible_to)),
    )


def accounts(visible_to: Visibility) -> ColumnElement[bool]:
    """Accounts the viewer may open: owned as above, or holding a contact or deal the viewer
    may open (the object rule of `permissions._account`)."""
    if visible_to is None:
        return true()
    return or_(owned(Account.owner_id, visible_to), holds_visible(Account.id, visible_to))


def readable_contacts(
    db_session: Session, contact_ids: Iterable[int], visible_to: Visibility
) -> set[int]:
    """Which of `contact_ids` the viewer may open (for lists built outside SQL)."""
    wanted = set(contact_ids)
    if visible_to is None or not wanted:
        return wanted
    query = select(Contact.id).where(Contact.id.in_(wanted), contacts(visible_to))
    return set(db_session.scalars(query))
