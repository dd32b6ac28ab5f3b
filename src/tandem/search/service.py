"""Find records by what people call them: a contact by name or email, an account by name or
domain, a deal or campaign by name. Contacts (the large table) are matched by prefix, through
the indexes on their email and lower-cased names; the smaller tables by substring."""

from collections.abc import Sequence
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth import visibility
from tandem.auth.visibility import Visibility
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.opportunities.models import Opportunity
from tandem.search.schemas import Group, Hit, SearchResults
from tandem.search.terms import Terms

#: Hits per kind on the results page; the top bar's box asks for fewer.
PER_KIND = 10


def _starts(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    low, high = Terms.prefix_range(prefix)
    return and_(column >= low, column < high)


def _contacts(terms: Terms, visible_to: Visibility) -> Select:
    first, last = func.lower(Contact.first_name), func.lower(Contact.last_name)
    matches = [
        _starts(Contact.email, terms.text),  # emails are stored lower-cased
        _starts(first, terms.text),
        _starts(last, terms.text),
    ]
    if len(terms.words) == 2:  # "ada lovelace": first name then last name
        matches.append(and_(_starts(first, terms.words[0]), _starts(last, terms.words[1])))
    return (
        select(Contact.id, Contact.first_name, Contact.last_name, Contact.email)
        .where(or_(*matches), visibility.contacts(visible_to))
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    )


def _accounts(terms: Terms, visible_to: Visibility) -> Select:
    pattern = terms.contains
    return (
        select(Account.id, Account.name, Account.domain)
        .where(
            or_(
                func.lower(Account.name).like(pattern, escape="\\"),
                Account.domain.like(pattern, escape="\\"),
            ),
            visibility.accounts(visible_to),
        )
        .order_by(Account.name, Account.id)
    )


def _deals(terms: Terms, visible_to: Visibility) -> Select:
    return (
        select(Opportunity.id, Opportunity.name, Account.name, Opportunity.stage)
        .outerjoin(Account, Opportunity.account_id == Account.id)
        .where(
            func.lower(Opportunity.name).like(terms.contains, escape="\\"),
            visibility.opportunities(visible_to),
        )
        .order_by(Opportunity.name, Opportunity.id)
    )


def _campaigns(terms: Terms) -> Select:
    return (
        select(Campaign.id, Campaign.name, Campaign.channel)
        .where(func.lower(Campaign.name).like(terms.contains, escape="\\"))
        .order_by(Campaign.name, Campaign.id)
    )


def _contact_hit(row: Sequence) -> Hit:
    cid, first, last, email = row
    name = " ".join(p for p in (first, last) if p) or email
    return Hit(kind="contact", id=cid, label=name, detail=email, url=f"/contacts/{cid}")


def _account_hit(row: Sequence) -> Hit:
    aid, name, domain = row
    return Hit(kind="account", id=aid, label=name, detail=domain, url=f"/accounts/{aid}")


def _deal_hit(row: Sequence) -> Hit:
    did, name, account, stage = row
    detail = " · ".join(p for p in (account, stage.replace("_", " ")) if p)
    url = f"/opportunities/{did}/retrospective"
    return Hit(kind="deal", id=did, label=name, detail=detail, url=url)


def _campaign_hit(row: Sequence) -> Hit:
    cid, name, channel = row
    # A campaign's page is the registry's count of the leads it brought in first.
    url = "/metrics/reached_lead?" + urlencode({"filter": f"campaign={name}"})
    return Hit(kind="campaign", id=cid, label=name, detail=channel.replace("_", " "), url=url)


def search(
    *, db_session: Session, terms: Terms, visible_to: Visibility, per_kind: int = PER_KIND
) -> SearchResults:
    """The records matching `terms` that the viewer may open, up to `per_kind` of each kind
    (one more is read to say whether there are more)."""
    kinds = (
        ("contact", "Contacts", _contacts(terms, visible_to), _contact_hit),
        ("account", "Accounts", _accounts(terms, visible_to), _account_hit),
        ("deal", "Deals", _deals(terms, visible_to), _deal_hit),
        ("campaign", "Campaigns", _campaigns(terms), _campaign_hit),
    )
    groups = []
    for kind, title, query, hit in kinds:
        rows = db_session.execute(query.limit(per_kind + 1)).all()
        if rows:
            hits = [hit(r) for r in rows[:per_kind]]
            groups.append(Group(kind=kind, title=title, hits=hits, more=len(rows) > per_kind))
    return SearchResults(q=terms.text, groups=groups)
