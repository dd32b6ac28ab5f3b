"""Links between imported records, made in any import order.

A contact names its company, a deal its company and contacts, a contact role its deal and
contact, by the source system's ids. When the named record is not imported yet, the link waits
in `import_pending_links` and is made by the first write that brings the record (any later
import, or the API); the job that left it reports it while it waits. A record an import merged
into another (`import_merged_ids`) still leads to the one kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, delete, func, select, union_all, update

from tandem.accounts.models import Account
from tandem.contacts.buying_roles import BuyingRole
from tandem.contacts.models import Contact
from tandem.db import utcnow
from tandem.ingest.models import MergedId, PendingLink
from tandem.opportunities.models import Opportunity, OpportunityContactRole
from tandem.sql import dialect_insert

LINKS = PendingLink.__table__
MERGED = MergedId.__table__
ROLES = OpportunityContactRole.__table__
OPPORTUNITIES = Opportunity.__table__
CONTACTS = Contact.__table__
TARGETS = {
    "accounts": Account.__table__,
    "contacts": CONTACTS,
    "opportunities": OPPORTUNITIES,
}
WORDS = {"accounts": "company", "contacts": "contact", "opportunities": "deal"}
RECORDS = {"contacts": "contacts", "opportunities": "deals"}
SHOWN_IDS = 10
IN_BATCH = 500


@dataclass(frozen=True)
class Link:
    """`record_kind` record `record_id` names `external_id` of a `target`; `position` orders a
    deal's contacts (0: the primary one), `role` is the contact's role on the deal."""

    record_kind: str
    record_id: int
    target: str
    external_id: str
    position: int = 0
    role: str | None = None


@dataclass(frozen=True)
class DealContact:
    """A contact on a deal: `primary` makes it the deal's primary contact; otherwise it is
    primary only when the deal has none."""

    opportunity_id: int
    contact_id: int
    role: str | None = None
    primary: bool = False


def defer(
    connection: Connection,
    links: Sequence[Link],
    *,
    job_id: int | None,
    restated: Iterable[tuple[str, int, str]] = (),
) -> None:
    """Keep `links` until their targets arrive. `restated` (record kind, id, target) are the
    links a write stated again: what those records had pending before is replaced."""
    for record_kind, target, ids in _grouped(restated):
        for part in _parts(ids):
            connection.execute(
                delete(LINKS).where(
                    LINKS.c.record_kind == record_kind,
                    LINKS.c.target == target,
                    LINKS.c.record_id.in_(part),
                )
            )
    links = _not_waiting(connection, links)
    if links:
        connection.execute(
            LINKS.insert(),
            [
                {
                    "job_id": job_id,
                    "record_kind": link.record_kind,
                    "record_id": link.record_id,
                    "target": link.target,
                    "external_id": link.external_id,
                    "position": link.position,
                    "role": link.role,
                    "created_at": utcnow(),
                }
                for link in links
            ],
        )


def _not_waiting(connection: Connection, links: Sequence[Link]) -> list[Link]:
    """`links` but those waiting already (the same file imported again before its targets)."""
    out, seen = [], set()
    for record_kind, target, ids in _grouped((k.record_kind, k.record_id, k.target) for k in links):
        for part in _parts(ids):
            query = select(LINKS.c.record_id, LINKS.c.external_id).where(
                LINKS.c.record_kind == record_kind,
                LINKS.c.target == target,
                LINKS.c.record_id.in_(part),
            )
            seen |= {(record_kind, target, r, x) for r, x in connection.execute(query)}
    for link in links:
        key = (link.record_kind, link.target, link.record_id, link.external_id)
        if key not in seen:
            seen.add(key)
            out.append(link)
    return out


def _grouped(keys: Iterable[tuple[str, int, str]]) -> list[tuple[str, str, list[int]]]:
    groups: dict[tuple[str, str], list[int]] = {}
    for record_kind, record_id, target in keys:
        groups.setdefault((record_kind, target), []).append(record_id)
    return [(kind, target, sorted(set(ids))) for (kind, target), ids in groups.items()]


def _parts(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), IN_BATCH):
        yield list(ids[start : start + IN_BATCH])


def resolve(connection: Connection) -> int:
    """Make every waiting link whose target exists now (by its external id or an id merged
    into it); the number made."""
    made = 0
    for target, table in TARGETS.items():
        columns = (LINKS.c.id, LINKS.c.record_kind, LINKS.c.record_id, LINKS.c.position,
                   LINKS.c.role)  # fmt: skip
        direct = (
            select(*columns, table.c.id.label("target_id"))
            .join(table, table.c.external_id == LINKS.c.external_id)
            .where(LINKS.c.target == target)
        )
        merged = (
            select(*columns, MERGED.c.record_id.label("target_id"))
            .join(
                MERGED,
                and_(
                    MERGED.c.target == LINKS.c.target, MERGED.c.external_id == LINKS.c.external_id
                ),
            )
            .where(LINKS.c.target == target)
        )
        found = connection.execute(union_all(direct, merged)).all()
        if not found:
            continue
        _apply(connection, target, sorted(found, key=lambda r: (r.record_id, r.position)))
        done = sorted({r.id for r in found})
        for part in _parts(done):
            connection.execute(delete(LINKS).where(LINKS.c.id.in_(part)))
        made += len(done)
    return made


def _apply(connection: Connection, target: str, found: list[Row[Any]]) -> None:
    if target == "accounts":
        for record_kind in ("contacts", "opportunities"):
            table = TARGETS[record_kind]
            pairs = [
                {"v_id": r.record_id, "v_account": r.target_id}
                for r in found
                if r.record_kind == record_kind
            ]
            if pairs:
                connection.execute(
                    update(table)
                    .where(table.c.id == bindparam("v_id"))
                    .values(account_id=bindparam("v_account")),
                    pairs,
                )
        deals = [r.record_id for r in found if r.record_kind == "opportunities"]
        adopt_accounts(connection, deals)
        return
    deal_contacts = [
        DealContact(r.record_id, r.target_id, r.role, r.position == 0)
        if target == "contacts"
        else DealContact(r.target_id, r.record_id, r.role, r.position == 0)
        for r in found
    ]
    link_deal_contacts(connection, deal_contacts)


def link_deal_contacts(connection: Connection, links: Sequence[DealContact]) -> None:
    """Give deals their contacts: a role each (kept when it exists), the primary contact, and
    the deal's company to contacts that have none."""
    if not links:
        return
    connection.execute(
        dialect_insert(connection, ROLES).on_conflict_do_nothing(),
        [
            {
                "opportunity_id": link.opportunity_id,
                "contact_id": link.contact_id,
                "role": link.role or BuyingRole.UNKNOWN.value,
                "is_primary": False,
            }
            for link in links
        ],
    )
    named = [
        {"v_id": link.opportunity_id, "v_role": link.role, "v_contact": link.contact_id}
        for link in links
        if link.role
    ]
    if named:  # the role the source gives replaces an unknown one
        connection.execute(
            update(ROLES)
            .where(
                ROLES.c.opportunity_id == bindparam("v_id"),
                ROLES.c.contact_id == bindparam("v_contact"),
            )
            .values(role=bindparam("v_role")),
            named,
        )
    for primary in (True, False):
        chosen = [
            {"v_id": link.opportunity_id, "v_contact": link.contact_id}
            for link in links
            if link.primary is primary
        ]
        if not chosen:
            continue
        where = [OPPORTUNITIES.c.id == bindparam("v_id")]
        if not primary:
            where.append(OPPORTUNITIES.c.primary_contact_id.is_(None))
        connection.execute(
            update(OPPORTUNITIES).where(*where).values(primary_contact_id=bindparam("v_contact")),
            chosen,
        )
    deals = sorted({link.opportunity_id for link in links})
    for part in _parts(deals):
        primary_of = (
            select(OPPORTUNITIES.c.primary_contact_id)
            .where(OPPORTUNITIES.c.id == ROLES.c.opportunity_id)
            .scalar_subquery()
        )
        connection.execute(
            update(ROLES)
            .where(ROLES.c.opportunity_id.in_(part))
            .values(is_primary=func.coalesce(ROLES.c.contact_id == primary_of, False))
        )
    adopt_accounts(connection, deals)


def adopt_accounts(connection: Connection, deal_ids: Sequence[int]) -> None:
    """Contacts on these deals that have no company join the deal's (an Olist lead becomes
    one of its seller's people)."""
    for part in _parts(sorted(set(deal_ids))):
        pairs = connection.execute(
            select(ROLES.c.contact_id, func.min(OPPORTUNITIES.c.account_id))
            .join(OPPORTUNITIES, OPPORTUNITIES.c.id == ROLES.c.opportunity_id)
            .join(CONTACTS, CONTACTS.c.id == ROLES.c.contact_id)
            .where(
                ROLES.c.opportunity_id.in_(part),
                OPPORTUNITIES.c.account_id.is_not(None),
                CONTACTS.c.account_id.is_(None),
            )
            .group_by(ROLES.c.contact_id)
        ).all()
        if pairs:
            connection.execute(
                update(CONTACTS)
                .where(CONTACTS.c.id == bindparam("v_id"), CONTACTS.c.account_id.is_(None))
                .values(account_id=bindparam("v_account")),
                [{"v_id": c, "v_account": a} for c, a in pairs],
            )


def merged_ids(connection: Connection, target: str, external_ids: set[str]) -> dict[str, int]:
    """The record kept for each of `external_ids` that an import merged into another."""
    out: dict[str, int] = {}
    wanted = sorted(external_ids)
    for start in range(0, len(wanted), IN_BATCH):
        part = wanted[start : start + IN_BATCH]
        query = select(MERGED.c.external_id, MERGED.c.record_id).where(
            MERGED.c.target == target, MERGED.c.external_id.in_(part)
        )
        out.update({ext: rid for ext, rid in connection.execute(query)})
    return out


def merge(
    connection: Connection, target: str, merged: dict[str, int], *, job_id: int | None
) -> None:
    """Remember that records with these external ids were merged into the ones kept."""
    if merged:
        connection.execute(
            dialect_insert(connection, MERGED).on_conflict_do_nothing(),
            [
                {"target": target, "external_id": ext, "record_id": rid, "job_id": job_id,
                 "created_at": utcnow()}
                for ext, rid in merged.items()
            ],
        )  # fmt: skip


def waiting(connection: Connection, job_id: int) -> list[str]:
    """What job `job_id` left waiting, one line per kind of link:
    `12 deals link to company ids not imported: 101, 102, ...`."""
    query = (
        select(LINKS.c.record_kind, LINKS.c.target, LINKS.c.record_id, LINKS.c.external_id)
        .where(LINKS.c.job_id == job_id)
        .order_by(LINKS.c.record_kind, LINKS.c.target, LINKS.c.id)
    )
    groups: dict[tuple[str, str], tuple[set[int], dict[str, None]]] = {}
    for record_kind, target, record_id, external_id in connection.execute(query):
        records, ids = groups.setdefault((record_kind, target), (set(), {}))
        records.add(record_id)
        ids[external_id] = None
    return [describe_waiting(kind, target, len(records), list(ids))
            for (kind, target), (records, ids) in groups.items()]  # fmt: skip


def describe_waiting(record_kind: str, target: str, records: int, external_ids: list[str]) -> str:
    """`12 deals link to company ids not imported: 101, 102 (and 3 more)`."""
    shown = ", ".join(external_ids[:SHOWN_IDS])
    more = f" (and {len(external_ids) - SHOWN_IDS:,} more)" if len(external_ids) > SHOWN_IDS else ""
    what = RECORDS.get(record_kind, record_kind) if records != 1 else WORDS[record_kind]
    verb = "link" if records != 1 else "links"
    return (
        f"{records:,} {what} {verb} to {WORDS[target]} ids not imported: {shown}{more} "
        "(linked when they are imported)"
    )
