"""Write per-user usage facts (`user_usage` import kind, `POST /api/v1/usage/events`).

A row names a user of the product (a contact: `contact_email`, `contact_external_id` or
Tandem's `contact_id`) and, optionally, the account. A user Tandem does not know is
quarantined (a usage row never creates a contact); the account is the contact's, or the one
given when the contact has none; an account that matches nothing, or differs from the
contact's, is quarantined too. One fact per user, metric, period start and period: the same
row again is unchanged, a new value updates it. More users active in a period than the
account's seats is stored and noted (it is what an expansion signal is made of).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from tandem.contacts.models import Contact
from tandem.events import UserUsageStored
from tandem.ingest.resolve import AccountRef
from tandem.ingest.rows import RowError
from tandem.ingest.store import Context, Item, Written, _copy, _outcomes
from tandem.ingest.upsert import IN_BATCH, Result
from tandem.sql import dialect_insert
from tandem.usage.models import Entitlement, UserUsageFact

COLUMNS = ("metric", "value", "period_start", "period")
FACTS = UserUsageFact.__table__
KEY = ("contact_id", "metric", "period_start", "period")
OVER_SEATS = (
    "more users active in the period than the account's seats: stored and flagged "
    "(an expansion signal's evidence)"
)
NO_USER = "no contact matches (import the contacts first)"
NO_ACCOUNT = "no account matches (import the accounts first)"
ACCOUNTLESS = (
    "the contact belongs to no account: give account_external_id, account_domain or account_name"
)


def _contact_shown(record: dict[str, Any]) -> tuple[str, str]:
    for name in ("contact_email", "contact_external_id", "contact_id"):
        if record.get(name) is not None:
            return name, str(record[name])
    return "contact", ""


def _contacts(ctx: Context, items: list[Item]) -> list[int | None]:
    """Each row's contact id (None: no contact matches); never creates one."""
    emails = {r["contact_email"] for _, r in items if r.get("contact_email")}
    by_email = ctx.resolver.contact_ids(emails, create=False) if emails else {}
    external = {r["contact_external_id"] for _, r in items if r.get("contact_external_id")}
    by_ext = ctx.resolver.contact_ids_by_external(external) if external else {}
    ids = {r["contact_id"] for _, r in items if r.get("contact_id") is not None}
    known = set(
        ctx.connection.execute(select(Contact.id).where(Contact.id.in_(ids))).scalars()
        if ids
        else ()
    )
    out: list[int | None] = []
    for _, record in items:
        if record.get("contact_email"):
            out.append(by_email.get(record["contact_email"]))
        elif record.get("contact_external_id"):
            out.append(by_ext.get(record["contact_external_id"]))
        else:
            out.append(record["contact_id"] if record.get("contact_id") in known else None)
    return out


def _accounts_of(ctx: Context, contact_ids: set[int]) -> dict[int, int | None]:
    if not contact_ids:
        return {}
    rows = ctx.connection.execute(
        select(Contact.id, Contact.account_id).where(Contact.id.in_(contact_ids))
    )
    return {cid: aid for cid, aid in rows}


def resolve(
    ctx: Context, items: list[Item]
) -> tuple[list[Item], list[dict[str, Any]], list[Written]]:
    """The rows to store (contact and account resolved) and the rejected ones with reasons."""
    contacts = _contacts(ctx, items)
    given = ctx.resolver.account_ids([AccountRef.of(r) for _, r in items], create=False)
    owning = _accounts_of(ctx, {c for c in contacts if c is not None})
    kept, rows, rejected = [], [], []
    for (line, record), contact_id, named in zip(items, contacts, given, strict=True):
        ref = AccountRef.of(record)
        error = None
        if contact_id is None:
            field, shown = _contact_shown(record)
            error = RowError(line, field, shown, NO_USER)
        elif ref is not None and named is None:
            shown = record.get("account_external_id") or record.get("account_domain")
            error = RowError(line, "account", shown or record.get("account_name"), NO_ACCOUNT)
        else:
            own = owning.get(contact_id)
            if own is not None and named is not None and own != named:
                reason = f"the contact belongs to account #{own}, not #{named}"
                error = RowError(line, "account", str(named), reason)
            elif own is None and named is None:
                error = RowError(line, "account", None, ACCOUNTLESS)
        if error is not None:
            rejected.append(Written(line, "rejected", None, error))
            continue
        kept.append((line, record))
        account_id = named if named is not None else owning[contact_id]  # type: ignore[index]
        rows.append({"contact_id": contact_id, "account_id": account_id} | _copy(record, COLUMNS))
    return kept, rows, rejected


def _stored(connection: Connection, rows: list[dict[str, Any]]) -> dict[tuple, tuple]:
    """The stored facts of the rows' users in the rows' days: key -> (id, account, value)."""
    starts = [r["period_start"] for r in rows]
    contacts = sorted({r["contact_id"] for r in rows})
    metrics = sorted({r["metric"] for r in rows})
    found = {}
    for at in range(0, len(contacts), IN_BATCH):
        query = select(FACTS.c.id, FACTS.c.account_id, FACTS.c.value, *(FACTS.c[c] for c in KEY))
        # Every column of the key's index up to the date, so each user's lookup is a range of
        # the index (not all their history: the import would slow down as the table grows).
        query = query.where(
            FACTS.c.contact_id.in_(contacts[at : at + IN_BATCH]),
            FACTS.c.metric.in_(metrics),
            FACTS.c.period_start.between(min(starts), max(starts)),
        )
        for id_, account_id, value, *key in connection.execute(query):
            found[tuple(key)] = (id_, account_id, value)
    return found


def store_facts(connection: Connection, rows: list[dict[str, Any]]) -> list[Result]:
    """Insert the new facts and update the changed ones, set-based (one read of what is
    stored, one INSERT ... ON CONFLICT DO UPDATE of the rest, so a concurrent writer of the
    same fact makes it an update, never a duplicate); a row repeating an earlier row's key is
    its duplicate."""
    if not rows:
        return []
    stored = _stored(connection, rows)
    results: list[Result | None] = [None] * len(rows)
    first: dict[tuple, int] = {}
    writes: list[int] = []
    for i, row in enumerate(rows):
        key = tuple(row[c] for c in KEY)
        if key in first:
            continue
        first[key] = i
        old = stored.get(key)
        if old is not None and old[1] == row["account_id"] and old[2] == row["value"]:
            results[i] = Result("unchanged", old[0])
        else:
            writes.append(i)
    if writes:
        insert = dialect_insert(connection, FACTS)
        statement = insert.on_conflict_do_update(
            index_elements=list(KEY),
            set_={"value": insert.excluded.value, "account_id": insert.excluded.account_id},
        ).returning(FACTS.c.id, sort_by_parameter_order=True)
        ids = connection.execute(statement, [rows[i] for i in writes]).scalars().all()
        for i, id_ in zip(writes, ids, strict=True):
            key = tuple(rows[i][c] for c in KEY)
            results[i] = Result("updated" if key in stored else "new", id_)
    for i, row in enumerate(rows):
        if results[i] is None:  # a repeat of an earlier row of the batch
            earlier = results[first[tuple(row[c] for c in KEY)]]
            results[i] = Result("duplicate", earlier.id)  # type: ignore[union-attr]
    return results  # type: ignore[return-value]


def write(ctx: Context, items: list[Item]) -> list[Written]:
    """Store the rows of known users, one fact per user, metric and period; note the rows that
    put an account above its seats."""
    kept, rows, rejected = resolve(ctx, items)
    results = store_facts(ctx.connection, rows)
    written = _outcomes(kept, results, "user usage fact")
    stored = [(line, row) for (line, _), row, w in zip(kept, rows, written, strict=True)
              if w.error is None]  # fmt: skip
    _note_over_seats(ctx, stored)
    changed = {r["contact_id"] for r, w in zip(rows, written, strict=True)
               if w.status in ("new", "updated")}  # fmt: skip
    ctx.publish(UserUsageStored(sorted(changed), ctx.now))  # the PQL rule reads them
    return sorted(written + rejected, key=lambda w: w.line)


def over_seats(ctx: Context, periods: set[tuple[int, date, str]]) -> set[tuple[int, date, str]]:
    """Of (account, period start, period), those with more users active (a value above 0 on
    any metric) than the seats in force on the period's start."""
    if not periods:
        return set()
    accounts = {a for a, _, _ in periods}
    starts = {s for _, s, _ in periods}
    active = ctx.connection.execute(
        select(
            UserUsageFact.account_id,
            UserUsageFact.period_start,
            UserUsageFact.period,
            func.count(UserUsageFact.contact_id.distinct()),
        )
        .where(
            UserUsageFact.account_id.in_(accounts),
            UserUsageFact.period_start.in_(starts),
            UserUsageFact.value > 0,
        )
        .group_by(UserUsageFact.account_id, UserUsageFact.period_start, UserUsageFact.period)
    ).all()
    seats: dict[int, list[tuple[date, date | None, float]]] = defaultdict(list)
    for account_id, start, end, allowance in ctx.connection.execute(
        select(
            Entitlement.account_id, Entitlement.valid_from, Entitlement.valid_to,
            Entitlement.allowance,
        ).where(
            Entitlement.account_id.in_(accounts),
            Entitlement.metric == "active_users",
            Entitlement.unit == "seats",
        )
    ):  # fmt: skip
        seats[account_id].append((start, end, allowance))
    out = set()
    for account_id, start, period, users in active:
        if (account_id, start, period) not in periods:
            continue
        in_force = [
            (valid_from, allowance)
            for valid_from, valid_to, allowance in seats.get(account_id, ())
            if valid_from <= start and (valid_to is None or valid_to > start)
        ]
        if in_force and users > max(in_force)[1]:
            out.add((account_id, start, period))
    return out


def _note_over_seats(ctx: Context, stored: list[tuple[int, dict[str, Any]]]) -> None:
    periods = {(r["account_id"], r["period_start"], r["period"]) for _, r in stored}
    over = over_seats(ctx, periods)
    lines = [
        line for line, r in stored if (r["account_id"], r["period_start"], r["period"]) in over
    ]
    if lines:
        ctx.note(OVER_SEATS, min(lines), len(lines))
