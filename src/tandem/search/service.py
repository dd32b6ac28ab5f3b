"""Find records by what people call them: a contact by the start of a name or email, an account
by the start of its name or domain, a deal by the start of its name, a campaign by any part of
its name, an asset by any part of its title. Every match except the campaigns' and assets'
(short tables) is an index range read in index
order and cut at the page's size, so a one-letter query costs what a long one does."""

from collections.abc import Callable, Sequence
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Row, Select, and_, func, select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth import visibility
from tandem.auth.visibility import Visibility
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.content.models import Asset
from tandem.opportunities.models import Opportunity
from tandem.search.schemas import Group, Hit, SearchResults
from tandem.search.terms import Terms

#: Hits per kind on the results page; the top bar's box asks for fewer.
PER_KIND = 10


def _starts(column: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    low, high = Terms.prefix_range(prefix)
    return and_(column >= low, column < high)


def _ranges(base: Select, ranges: list[tuple[ColumnElement[bool], ColumnElement]]) -> list[Select]:
    """One statement per indexed range, each ordered by its index (so it stops early)."""
    return [base.where(where).order_by(order, base.selected_columns[0]) for where, order in ranges]


def _contacts(terms: Terms, visible_to: Visibility) -> list[Select]:
    first, last = func.lower(Contact.first_name), func.lower(Contact.last_name)
    ranges = []
    if len(terms.words) == 2:  # "ada lovelace": first name then last name
        ranges.append((and_(_starts(first, terms.words[0]), _starts(last, terms.words[1])), last))
    ranges += [
        (_starts(last, terms.text), last),
        (_starts(first, terms.text), first),
        (_starts(Contact.email, terms.text), Contact.email),  # emails are stored lower-cased
    ]
    base = select(Contact.id, Contact.first_name, Contact.last_name, Contact.email).where(
        visibility.contacts(visible_to)
    )
    return _ranges(base, ranges)


def _accounts(terms: Terms, visible_to: Visibility) -> list[Select]:
    name = func.lower(Account.name)
    base = select(Account.id, Account.name, Account.domain).where(visibility.accounts(visible_to))
    return _ranges(
        base,
        [(_starts(name, terms.text), name), (_starts(Account.domain, terms.text), Account.domain)],
    )


def _deals(terms: Terms, visible_to: Visibility) -> list[Select]:
    name = func.lower(Opportunity.name)
    base = (
        select(Opportunity.id, Opportunity.name, Account.name, Opportunity.stage)
        .outerjoin(Account, Opportunity.account_id == Account.id)
        .where(visibility.opportunities(visible_to))
    )
    return _ranges(base, [(_starts(name, terms.text), name)])


def _campaigns(terms: Terms, visible_to: Visibility) -> list[Select]:
    # Campaigns are few (hundreds): any part of the name.
    contains = func.lower(Campaign.name).like(terms.contains, escape="\\")
    base = select(Campaign.id, Campaign.name, Campaign.channel)
    return [base.where(contains).order_by(Campaign.name, Campaign.id)]


def _assets(terms: Terms, visible_to: Visibility) -> list[Select]:
    # The library is open to every role, and small (thousands): any part of the title.
    contains = func.lower(Asset.title).like(terms.contains, escape="\\")
    base = select(Asset.id, Asset.title, Asset.type, Asset.journey_stage, Asset.status)
    return [base.where(contains).order_by(Asset.title, Asset.id)]


def _first(db_session: Session, statements: list[Select], limit: int) -> list[Row]:
    """Up to `limit` + 1 distinct rows, the statements' in turn (more than `limit`: more match)."""
    seen: dict[int, Row] = {}
    for statement in statements:
        for row in db_session.execute(statement.limit(limit + 1)):
            seen.setdefault(row[0], row)
        if len(seen) > limit:
            break
    return list(seen.values())[: limit + 1]


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


def _asset_hit(row: Sequence) -> Hit:
    aid, title, kind, stage, status = row
    detail = " · ".join(p.replace("_", " ") for p in (kind, stage, status) if p)
    return Hit(kind="asset", id=aid, label=title, detail=detail, url=f"/content/{aid}")


def search(
    *, db_session: Session, terms: Terms, visible_to: Visibility, per_kind: int = PER_KIND
) -> SearchResults:
    """The records matching `terms` that the viewer may open, up to `per_kind` of each kind."""
    kinds: tuple[tuple[str, str, Callable, Callable[[Sequence], Hit]], ...] = (
        ("contact", "Contacts", _contacts, _contact_hit),
        ("account", "Accounts", _accounts, _account_hit),
        ("deal", "Deals", _deals, _deal_hit),
        ("campaign", "Campaigns", _campaigns, _campaign_hit),
        ("asset", "Content", _assets, _asset_hit),
    )
    groups = []
    for kind, title, statements, hit in kinds:
        rows = _first(db_session, statements(terms, visible_to), per_kind)
        if rows:
            hits = [hit(r) for r in rows[:per_kind]]
            groups.append(Group(kind=kind, title=title, hits=hits, more=len(rows) > per_kind))
    return SearchResults(q=terms.text, groups=groups)
