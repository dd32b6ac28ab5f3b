"""Write validated records of each kind, chunk by chunk, inside the caller's transaction.

Each writer returns one `Written` per record: new, updated, unchanged, duplicate, or rejected
with a `RowError` (e.g. a reference that matches nothing). Stage changes append to
`stage_transitions` with actor ``import:<profile>``; nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.orm import Session

from tandem.activities.models import Activity
from tandem.events import (
    ActivitiesStored,
    EventBus,
    StageChanged,
    StoredActivity,
    UserUsageStored,
    publish,
    session_info,
)
from tandem.ingest import links
from tandem.ingest.fields import split_ids
from tandem.ingest.resolve import (
    ACCOUNT_KEYS,
    ACCOUNTS,
    CAMPAIGN_KEYS,
    CONTACT_KEYS,
    CONTACTS,
    AccountRef,
    Resolver,
)
from tandem.ingest.rows import RowError
from tandem.ingest.setsql import Sql
from tandem.ingest.upsert import IN_BATCH, Key, Refused, Result, find, upsert
from tandem.ingest.values import FREE_MAIL
from tandem.lifecycle import service as lifecycle
from tandem.lifecycle.stages import Stage
from tandem.opportunities.models import Opportunity, OpportunityContactRole
from tandem.usage.models import UsageFact

ACTIVITIES = Activity.__table__
OPPORTUNITIES = Opportunity.__table__
ROLES = OpportunityContactRole.__table__

Item = tuple[int, dict[str, Any]]  # (line or batch index, validated record)


@dataclass
class Written:
    """The outcome for one record."""

    line: int
    status: str
    id: int | None = None
    error: RowError | None = None


@dataclass
class Context:
    """What writers share for one job or request: the connection, the clock, the actor, the
    source new records are stamped with (`tandem.contacts.sources`), and the ORM session event
    subscribers get (the request's, or one on the connection with the job's `bus`, made when
    first needed and flushed by `close`)."""

    connection: Connection
    now: datetime
    actor: str
    session: Session | None = None
    bus: EventBus | None = None
    source_id: int | None = None
    job_id: int | None = None  # the import job writing (None: the API)
    resolver: Resolver = field(init=False)
    # (note, first line, rows, what it counts: {"field": ..., "status": "unknown" | "derived"})
    notes: list[tuple[str, int, int, dict[str, str]]] = field(default_factory=list)
    _own_session: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.resolver = Resolver(self.connection, self.source_id)

    def note(self, message: str, line: int, rows: int = 1, **counts: str) -> None:
        """Say `message` in the job's report about `rows` rows from `line`; `counts` (field,
        status) marks a count of unknown or derived values the report names."""
        self.notes.append((message, line, rows, counts))

    def defer(
        self, waiting: Sequence[links.Link], restated: Sequence[tuple[str, int, str]] = ()
    ) -> None:
        """Keep links to records not imported yet (`links.defer`), then make every link
        waiting for a record that exists now: this write may have brought some."""
        links.defer(self.connection, waiting, job_id=self.job_id, restated=restated)
        self.resolve_links()

    def resolve_links(self) -> None:
        """Make the links waiting for records that exist now (noted with their number)."""
        made = links.resolve(self.connection)
        if made:
            self.note(LINKS_MADE, 0, made)

    def stamp(self, table: Table, results: Sequence[Result]) -> None:
        """Give the records `results` created this context's source. Matched records keep the
        one they came from, so the source is set after the upsert rather than in its rows."""
        new = [{"v_id": r.id} for r in results if r.status == "new"]
        if self.source_id is not None and new:
            self.connection.execute(
                update(table)
                .where(table.c.id == bindparam("v_id"))
                .values(source_id=self.source_id),
                new,
            )

    def announce(self, activities: Sequence[StoredActivity]) -> None:
        """Tell subscribers about newly stored activities, in this transaction."""
        if activities:
            self.publish(ActivitiesStored(activities))

    def publish(self, event: ActivitiesStored | StageChanged | UserUsageStored) -> None:
        """Publish `event` to subscribers, in this transaction (nothing to say: no session)."""
        if isinstance(event, UserUsageStored):
            if not event.contact_ids:
                return
        elif not (event.activities if isinstance(event, ActivitiesStored) else event.changes):
            return
        if self.session is None:
            if self.bus is None:
                return  # nobody listens: no session to make
            self.session = Session(
                bind=self.connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
                info=session_info(self.bus),
            )
            self._own_session = True
        publish(self.session, event)
        self.session.flush()

    def close(self) -> None:
        """Keep what subscribers wrote through a session made by `announce` (its savepoint is
        released; the connection's transaction stays open) and close it."""
        if self._own_session and self.session is not None:
            self.session.commit()
            self.discard()

    def discard(self) -> None:
        """Close a session made by `announce` without keeping its writes (on errors)."""
        if self._own_session and self.session is not None:
            self.session.close()
            self.session, self._own_session = None, False


def _copy(record: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    return {c: record[c] for c in columns if c in record}


def note_values(ctx: Context, items: list[Item], written: list[Written]) -> None:
    """Count, for the report, the stored records' unknown values (by reason) and the values a
    profile rule derived (by rule)."""
    stored = {w.line for w in written if w.error is None and w.status != "duplicate"}
    for line, record in items:
        if line not in stored:
            continue
        for name, reason in record.get("unknown", {}).items():
            ctx.note(reason, line, field=name, status="unknown")
        for name, rule in record.get("derived", {}).items():
            ctx.note(rule.reason, line, field=name, status="derived", source=rule.source)


def _known_now(row: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """An update keeps the stored values a row leaves empty, so only what is still null is
    still unknown. Set in place: the writer counts what stays unknown from its rows."""
    row["unknown"] = {n: why for n, why in row["unknown"].items() if current.get(n) is None}
    return row


def _outcomes(items: list[Item], results: list[Result], what: str) -> list[Written]:
    out = []
    for (line, _), result in zip(items, results, strict=True):
        if result.status == "conflict":
            ids = ", ".join(f"#{i}" for i in result.before["ids"])  # type: ignore[index]
            reason = (
                f"matches different existing {what} ({ids}) by different keys: merge them first"
            )
            out.append(Written(line, "rejected", None, RowError(line, None, None, reason)))
        elif result.status == "refused":
            why: Refused = result.before["refused"]  # type: ignore[index]
            error = RowError(line, why.column, why.value, why.reason)
            out.append(Written(line, "rejected", None, error))
        elif result.status == "duplicate":
            reason = f"same {what} as an earlier row of this batch"
            out.append(Written(line, "duplicate", result.id, RowError(line, None, None, reason)))
        else:
            out.append(Written(line, result.status, result.id))
    return out


LINKS_MADE = "links waiting since earlier imports made (records named by id arrived)"
UNKNOWN_ASSET = "no asset has this external id or URL (import the assets first)"
OWNER_MISSING = "owner is not a Tandem user: left unassigned (add the user, import again)"
# A contact's creation date cannot be left unknown yet (the funnel and the stage log need one):
# the report says where the import dated a new contact itself.
CONTACT_DATED = "new contact without a creation date in the file: dated at the import"
STAGE_KEPT = "stage kept: the won deal cannot move its contact to customer"


def _owner(ctx: Context, record: dict[str, Any], line: int) -> dict[str, int]:
    email, name = record.get("owner_email"), record.get("owner_name")
    if not (email or name):
        return {}
    owner = ctx.resolver.user_id(email, name)
    if owner is None:
        ctx.note(OWNER_MISSING, line)
        return {}
    return {"owner_id": owner}


ACCOUNT_COLUMNS = ("external_id", "name", "domain", "industry", "employee_band", "employees",
                   "region", "country", "annual_revenue", "is_target", "tier")  # fmt: skip


def write_accounts(ctx: Context, items: list[Item]) -> list[Written]:
    """Accounts matched by external id, domain, then name."""
    rows = []
    for line, record in items:
        row = _copy(record, ACCOUNT_COLUMNS) | _owner(ctx, record, line)
        if row.get("domain") and row["domain"] in FREE_MAIL:
            ctx.note("free-mail domain not used as an account domain", line)
            del row["domain"]
        if "custom" in record:
            row["custom_fields"] = record["custom"]
        rows.append(row)
    results = upsert(ctx.connection, ACCOUNTS, rows, ACCOUNT_KEYS, json_column="custom_fields")
    ctx.stamp(ACCOUNTS, results)
    written = _outcomes(items, results, "account")
    merged = _merged_by_domain(ctx, rows, results)
    for n, kept in merged.items():
        written[n] = Written(written[n].line, "updated", kept)
    if merged:
        ctx.note(MERGED_BY_DOMAIN, min(written[n].line for n in merged), len(merged))
    links.merge(
        ctx.connection,
        "accounts",
        {rows[n]["external_id"]: kept for n, kept in merged.items()},
        job_id=ctx.job_id,
    )
    ctx.resolve_links()
    return written


MERGED_BY_DOMAIN = (
    "companies merged into the company with the same domain (links to their ids lead there)"
)


def _merged_by_domain(
    ctx: Context, rows: list[dict[str, Any]], results: list[Result]
) -> dict[int, int]:
    """Rows (by index) of companies with their own external id that are one company with an
    earlier row of the batch, or with a stored company, by domain: the id of the one kept."""
    first: dict[int, str | None] = {}
    merged: dict[int, int] = {}
    clashes: dict[str, list[int]] = {}
    for n, (row, result) in enumerate(zip(rows, results, strict=True)):
        own = row.get("external_id")
        if result.status == "new" and result.id in first and own and own != first[result.id]:
            merged[n] = result.id
        elif result.status == "new":
            first.setdefault(result.id, own)
        elif result.status == "conflict" and own and row.get("domain"):
            clashes.setdefault(row["domain"], []).append(n)
    if clashes:
        holders = find(ctx.connection, ACCOUNTS, ACCOUNT_KEYS[1], {(d,) for d in clashes})
        # A row whose own id is a stored company clashes with two companies: not a merge.
        own = {(rows[n]["external_id"],) for ns in clashes.values() for n in ns}
        stored = find(ctx.connection, ACCOUNTS, ACCOUNT_KEYS[0], own, True)
        for (domain,), holder in holders.items():
            for n in clashes[domain]:
                ext = rows[n]["external_id"]
                if (ext,) not in stored and holder["external_id"] not in (None, ext):
                    merged[n] = holder["id"]
    return merged


CONTACT_COLUMNS = ("email", "external_id", "first_name", "last_name", "title", "job_level",
                   "phone", "country", "lifecycle_stage", "stage_entered_at", "created_at",
                   "first_touch_source", "first_touch_medium", "first_touch_landing_page",
                   "budget", "authority", "need", "timeline", "buying_role")  # fmt: skip


def write_contacts(ctx: Context, items: list[Item]) -> list[Written]:
    """Contacts matched by email then external id, linked to their account, stage history kept."""
    accounts = ctx.resolver.account_ids(
        [AccountRef.of(record, "email") for _, record in items], create=True
    )
    campaigns = ctx.resolver.campaign_ids(
        {r["first_touch_campaign"] for _, r in items if r.get("first_touch_campaign")}, {}
    )
    rows = []
    for (line, record), account_id in zip(items, accounts, strict=True):
        row = _copy(record, CONTACT_COLUMNS) | _owner(ctx, record, line)
        if account_id is not None:
            row["account_id"] = account_id
        if record.get("first_touch_campaign"):
            row["first_touch_campaign_id"] = campaigns[record["first_touch_campaign"]]
        if "custom" in record:
            row["custom_fields"] = record["custom"]
        rows.append(row)

    def lifecycle_allows(row: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        # The lifecycle's import policy: jumps forward are fine, skipping sales' answer to an
        # MQL or going back without a reason is not (the row is quarantined, nothing written).
        new, old = row.get("lifecycle_stage"), current["lifecycle_stage"]
        if new and new != old:
            why = lifecycle.import_refusal(old, new)
            if why is not None:
                raise Refused("lifecycle_stage", new, why)
        return row

    results = upsert(
        ctx.connection,
        CONTACTS,
        rows,
        CONTACT_KEYS,
        json_column="custom_fields",
        adjust=lifecycle_allows,
    )
    ctx.stamp(CONTACTS, results)
    _defer_accounts(ctx, items, results)
    moves = []
    for (_, record), result in zip(items, results, strict=True):
        stage = record.get("lifecycle_stage")
        if stage is None or result.status not in ("new", "updated"):
            continue
        previous = (result.before or {}).get("lifecycle_stage")
        if result.status == "updated" and "lifecycle_stage" not in (result.changes or {}):
            continue
        at = record.get("stage_entered_at") or (
            record.get("created_at") if result.status == "new" else None
        )
        moves.append((result.id, previous, stage, at or ctx.now, "stage_entered_at" in record))
    record_moves(ctx, moves)
    for (line, record), result in zip(items, results, strict=True):
        if result.status == "new" and "created_at" not in record:
            ctx.note(CONTACT_DATED, line)
    written = _outcomes(items, results, "contact")
    note_values(ctx, items, written)
    return written


def _defer_accounts(ctx: Context, items: list[Item], results: list[Result]) -> None:
    """Contacts naming a company id no account has (yet) wait for it."""
    named = [
        (result.id, ids[0])
        for (_, record), result in zip(items, results, strict=True)
        if result.status in ("new", "updated", "unchanged")
        and (ids := split_ids(record.get("account_external_id")))
    ]
    ctx.defer(
        [
            links.Link("contacts", contact, "accounts", ext)
            for contact, ext in named
            if not ctx.resolver.knows_account(ext)
        ],
        [("contacts", contact, "accounts") for contact, _ in named],
    )


def record_moves(ctx: Context, moves: list[tuple[int, str | None, str, datetime, bool]]) -> None:
    """Log the import's stage moves (contact, from, to, at, entered_at_known) through the
    lifecycle and announce them once this transaction's session exists."""
    if moves:
        frame = pl.DataFrame(moves, schema=lifecycle.MOVE_SCHEMA, orient="row")
        changes = lifecycle.log_import_moves(ctx.connection, frame, cause=ctx.actor)
        ctx.publish(StageChanged(changes))


def write_activities(ctx: Context, items: list[Item]) -> list[Written]:
    """Touches, stored once per idempotency key (INSERT ... ON CONFLICT DO NOTHING)."""
    resolver = ctx.resolver
    by_email = resolver.contact_ids(
        {r["contact_email"] for _, r in items if r.get("contact_email")}, True
    )
    by_ext = resolver.contact_ids_by_external(
        {
            r["contact_external_id"]
            for _, r in items
            if r.get("contact_external_id") and not r.get("contact_email")
        }
    )
    channels = {r["campaign"]: r.get("channel") for _, r in items if r.get("campaign")}
    campaigns = resolver.campaign_ids(set(channels), channels)
    assets = resolver.asset_ids({r["asset"] for _, r in items if r.get("asset")})
    by_url = resolver.asset_ids_by_url({r["url"] for _, r in items if r.get("url")})
    out: list[Written | None] = []
    rows: list[dict[str, Any]] = []
    for line, r in items:
        contact = by_email.get(r.get("contact_email", "")) or by_ext.get(
            r.get("contact_external_id", "")
        )
        if contact is None:
            reason = "no contact has this external id (give contact_email to create one)"
            out.append(
                Written(
                    line,
                    "rejected",
                    None,
                    RowError(line, "contact_external_id", r.get("contact_external_id"), reason),
                )
            )
            continue
        if r.get("asset") and r["asset"] not in assets:
            error = RowError(line, "asset", r["asset"], UNKNOWN_ASSET)
            out.append(Written(line, "rejected", None, error))
            continue
        properties = dict(r.get("custom", {}))
        if r.get("source"):
            properties["source"] = r["source"]
        if r.get("asset") and r["asset"] not in assets:
            properties["asset"] = r["asset"]
        rows.append(
            {
                "idempotency_key": r["idempotency_key"],
                "contact_id": contact,
                "type": r["type"],
                "occurred_at": r["occurred_at"],
                "received_at": ctx.now,
                "campaign_id": campaigns.get(r.get("campaign", "")),
                "asset_id": assets.get(r.get("asset", "")) or by_url.get(r.get("url") or ""),
                "channel": r.get("channel"),
                "url": r.get("url"),
                "properties": properties,
                "source_id": ctx.source_id,
            }
        )
        out.append(None)
    stored = insert_new_activities(ctx.connection, rows)
    ctx.announce(list(stored.values()))
    new = set(stored)
    keyed = iter(rows)
    written = []
    for (line, _), done in zip(items, out, strict=True):
        if done is not None:
            written.append(done)
        else:
            key = next(keyed)["idempotency_key"]
            written.append(Written(line, "new" if key in new else "duplicate"))
            new.discard(key)  # the same key again in this batch is a duplicate of this one
    return written


def insert_new_activities(
    connection: Connection, rows: list[dict[str, Any]]
) -> dict[str, StoredActivity]:
    """Insert the activities whose key is not stored yet; those actually inserted, by key.

    One statement with ON CONFLICT DO NOTHING: the unique index decides, so two requests racing
    with the same key store it once (and a key repeated in `rows` is stored once)."""
    if not rows:
        return {}
    if len(rows) <= SMALL_INSERT:
        return _insert_few(connection, rows)
    frame = pl.DataFrame(
        {
            name: [r.get(name) for r in rows]
            for name in (
                "idempotency_key",
                "contact_id",
                "type",
                "occurred_at",
                "received_at",
                "campaign_id",
                "asset_id",
                "channel",
                "url",
                "source_id",
            )
        },  # fmt: skip
        schema=ACTIVITY_SCHEMA,
    ).with_columns(pl.Series("properties", [json.dumps(r["properties"]) for r in rows]))
    returned = ["idempotency_key", "contact_id", "type", "occurred_at"]
    back = Sql(connection).insert_new(ACTIVITIES, frame, returned)
    return {key: StoredActivity(i, c, t, at) for i, key, c, t, at in back.iter_rows()}


SMALL_INSERT = 20  # rows inserted one statement each (no frame to build)
_ACTIVITY_COLUMNS = ("idempotency_key", "contact_id", "type", "occurred_at", "received_at",
                     "campaign_id", "asset_id", "channel", "url", "source_id",
                     "properties")  # fmt: skip
_SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DATETIME text


def _insert_few(connection: Connection, rows: list[dict[str, Any]]) -> dict[str, StoredActivity]:
    """`insert_new_activities` for a few rows: `INSERT ... ON CONFLICT DO NOTHING RETURNING id`
    per row on the raw DB-API connection (the unique index decides, as for a batch)."""
    sqlite = connection.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    sql = (
        f"INSERT INTO {ACTIVITIES.name} ({', '.join(_ACTIVITY_COLUMNS)}) "  # noqa: S608
        f"VALUES ({', '.join(mark for _ in _ACTIVITY_COLUMNS)}) "
        "ON CONFLICT DO NOTHING RETURNING id"
    )
    raw = connection.connection.driver_connection
    out: dict[str, StoredActivity] = {}
    cursor = raw.cursor()
    try:
        for r in rows:
            values = [r.get(c) for c in _ACTIVITY_COLUMNS]
            values[-1] = json.dumps(r["properties"])
            if sqlite:
                values[3] = _utc(values[3]).strftime(_SQLITE_TS)
                values[4] = _utc(values[4]).strftime(_SQLITE_TS)
            cursor.execute(sql, values)
            got = cursor.fetchone()
            if got is not None:
                key = r["idempotency_key"]
                out[key] = StoredActivity(
                    got[0], r["contact_id"], r["type"], _utc(r["occurred_at"])
                )
    finally:
        cursor.close()
    return out


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


ACTIVITY_SCHEMA = {
    "idempotency_key": pl.String,
    "contact_id": pl.Int64,
    "type": pl.String,
    "occurred_at": pl.Datetime("us", "UTC"),
    "received_at": pl.Datetime("us", "UTC"),
    "campaign_id": pl.Int64,
    "asset_id": pl.Int64,
    "channel": pl.String,
    "url": pl.String,
    "source_id": pl.Int64,
}


def write_campaigns(ctx: Context, items: list[Item]) -> list[Written]:
    """Campaigns matched by external id then name."""
    columns = ("external_id", "name", "channel", "type", "start_on", "end_on", "cost", "currency")
    rows = [_copy(r, columns) for _, r in items]
    for row in rows:
        row.setdefault("channel", "other")
    return _outcomes(
        items,
        upsert(ctx.connection, ACCOUNTS.metadata.tables["campaigns"], rows, CAMPAIGN_KEYS),
        "campaign",
    )


def write_assets(ctx: Context, items: list[Item]) -> list[Written]:
    """Content assets matched by external id, URL, then title."""
    columns = ("external_id", "title", "type", "journey_stage", "personas", "buying_roles",
               "products", "description", "url", "published_on", "expires_on",
               "status")  # fmt: skip
    keys = (Key(("external_id",)), Key(("url",)), Key(("title",), True, unique=False))
    from tandem.content.definitions import active_taxonomy
    from tandem.content.taxonomy import asset_problems

    taxonomy = active_taxonomy(ctx.connection)
    rows, kept, rejected = [], [], []
    for line, record in items:
        if "persona" in record:  # the single persona of older files joins the list
            named = [*record.get("personas", ()), *record["persona"]]
            record["personas"] = list(dict.fromkeys(named))
        problems = asset_problems(
            taxonomy,
            stage=record.get("journey_stage"),
            type=record.get("type"),
            personas=record.get("personas", ()),
        )
        if problems:  # the taxonomy both teams agreed on (tandem.content): quarantined
            field, reason = problems[0]
            shown = record.get(field)
            error = RowError(line, field, None if shown is None else str(shown), reason)
            rejected.append(Written(line, "rejected", None, error))
            continue
        kept.append((line, record))
        rows.append(_copy(record, columns) | _owner(ctx, record, line))
    written = _outcomes(
        kept, upsert(ctx.connection, ACCOUNTS.metadata.tables["assets"], rows, keys), "asset"
    )
    return sorted(written + rejected, key=lambda w: w.line)


def write_usage(ctx: Context, items: list[Item]) -> list[Written]:
    """Usage facts of existing accounts, one per account, metric and period."""
    columns = ("metric", "value", "period_start", "period")
    kept, rows, out = _account_rows(ctx, items, columns)
    keys = (Key(("account_id", "metric", "period_start", "period")),)
    written = _outcomes(kept, upsert(ctx.connection, UsageFact.__table__, rows, keys), "usage fact")
    written += [Written(line, "rejected", None, error) for line, error in out]
    return sorted(written, key=lambda w: w.line)


def _account_rows(
    ctx: Context, items: list[Item], columns: tuple[str, ...]
) -> tuple[list[Item], list[dict[str, Any]], list[tuple[int, RowError]]]:
    """Rows of existing accounts (an unknown account is quarantined, never created)."""
    accounts = ctx.resolver.account_ids([AccountRef.of(r) for _, r in items], create=False)
    kept, rows, out = [], [], []
    for (line, record), account_id in zip(items, accounts, strict=True):
        if account_id is None:
            reason = "no account matches (import the accounts first)"
            shown = (
                record.get("account_external_id")
                or record.get("account_domain")
                or record.get("account_name")
            )
            out.append((line, RowError(line, "account", shown, reason)))
            continue
        kept.append((line, record))
        rows.append({"account_id": account_id} | _copy(record, columns))
    return kept, rows, out


def write_entitlements(ctx: Context, items: list[Item]) -> list[Written]:
    """Entitlements of existing accounts, one per account, metric and start date."""
    columns = ("metric", "unit", "allowance", "plan", "contract_value", "renewal_on", "valid_from",
               "valid_to")  # fmt: skip
    kept, rows, out = _account_rows(ctx, items, columns)
    for row in rows:
        if row.get("contract_value") is not None:
            row["contract_value"] = float(row["contract_value"])
    keys = (Key(("account_id", "metric", "valid_from")),)
    table = UsageFact.metadata.tables["entitlements"]
    written = _outcomes(kept, upsert(ctx.connection, table, rows, keys), "entitlement")
    written += [Written(line, "rejected", None, error) for line, error in out]
    return sorted(written, key=lambda w: w.line)


def write_subscriptions(ctx: Context, items: list[Item]) -> list[Written]:
    """Subscription events of existing accounts, one per account, kind and moment."""
    columns = ("kind", "occurred_at", "mrr_before", "mrr_after", "plan")
    kept, rows, out = _account_rows(ctx, items, columns)
    for row in rows:
        row["mrr_before"] = float(row.get("mrr_before") or 0)
        row["mrr_after"] = float(row.get("mrr_after") or 0)
    keys = (Key(("account_id", "kind", "occurred_at")),)
    table = UsageFact.metadata.tables["subscription_events"]
    written = _outcomes(kept, upsert(ctx.connection, table, rows, keys), "subscription event")
    written += [Written(line, "rejected", None, error) for line, error in out]
    return sorted(written, key=lambda w: w.line)


def write_user_usage(ctx: Context, items: list[Item]) -> list[Written]:
    """Usage facts of known users (`tandem.ingest.user_usage`)."""
    from tandem.ingest.user_usage import write

    return write(ctx, items)


OPPORTUNITY_COLUMNS = ("external_id", "name", "stage", "amount", "currency", "created_at",
                       "expected_close_on", "closed_at", "is_closed", "is_won", "lost_reason",
                       "product_line", "deal_type", "segment", "region", "vertical",
                       "source", "rep_name", "manager_name", "team_name")  # fmt: skip
OPPORTUNITY_KEYS = (
    Key(("external_id",)),
    Key(("name", "account_id"), True, ("account_id",), unique=False),
)


def write_opportunities(ctx: Context, items: list[Item]) -> list[Written]:
    """Deals matched by external id, then name within the account, linked to their company and
    contacts (every contact named gets a role; the first found is the primary contact; ids not
    imported yet wait in `links`); a won deal makes its primary contact a customer (never
    before the contact's previous stage change). `custom.<name>` values (a CRM's extra deal
    fields) are merged into the deal's custom fields."""
    resolver = ctx.resolver
    refs = [AccountRef.of(r) for _, r in items]
    accounts = resolver.account_ids(refs, create=True)
    by_email = resolver.contact_ids(
        {r["contact_email"] for _, r in items if r.get("contact_email")}, True
    )
    named = [split_ids(r.get("contact_external_id")) for _, r in items]
    by_ext = resolver.contact_ids_by_external({x for ids in named for x in ids})
    rows, people = [], []
    for (line, record), account_id, ids in zip(items, accounts, named, strict=True):
        found = [by_ext[x] for x in ids if x in by_ext]
        if record.get("contact_email"):
            found.insert(0, by_email[record["contact_email"]])
        row = (
            _copy(record, OPPORTUNITY_COLUMNS)
            | _owner(ctx, record, line)
            | {"account_id": account_id}
        )
        if found:
            row["primary_contact_id"] = found[0]
        if "custom" in record:
            row["custom_fields"] = record["custom"]
        row["unknown"] = record["unknown"]
        rows.append(row)
        people.append(list(dict.fromkeys(found)))
    results = upsert(
        ctx.connection,
        OPPORTUNITIES,
        rows,
        OPPORTUNITY_KEYS,
        json_column="custom_fields",
        adjust=_known_now,
    )
    ctx.stamp(OPPORTUNITIES, results)
    stored = [
        (res.id, ref, ids, found)
        for res, ref, ids, found in zip(results, refs, named, people, strict=True)
        if res.status in ("new", "updated", "unchanged")
    ]
    links.link_deal_contacts(
        ctx.connection,
        [
            links.DealContact(deal, contact, primary=n == 0)
            for deal, _, _, found in stored
            for n, contact in enumerate(found)
        ],
    )
    waiting = [
        links.Link("opportunities", deal, "accounts", ref.external_id)
        for deal, ref, _, _ in stored
        if ref is not None and ref.external_id and not resolver.knows_account(ref.external_id)
    ] + [
        links.Link("opportunities", deal, "contacts", x, position=n)
        for deal, _, ids, _ in stored
        for n, x in enumerate(ids)
        if x not in by_ext
    ]
    restated = [
        ("opportunities", deal, "accounts") for deal, ref, _, _ in stored if ref and ref.external_id
    ] + [("opportunities", deal, "contacts") for deal, _, ids, _ in stored if ids]
    ctx.defer(waiting, restated)
    _promote_won(ctx, items, results, [found[0] if found else None for found in people])
    written = _outcomes(items, results, "opportunity")
    # What is still unknown once the stored values are kept (see `_known_now`).
    values = [
        (line, record | {"unknown": row["unknown"]})
        for (line, record), row in zip(items, rows, strict=True)
    ]
    note_values(ctx, values, written)
    return written


def write_contact_roles(ctx: Context, items: list[Item]) -> list[Written]:
    """Contacts' roles on deals (a Salesforce OpportunityContactRole export): the deal and the
    contact by their external ids (or the contact's email); when one of them is not imported
    yet the role waits for it (`links`), when neither is the row is refused."""
    deals = {
        key[0]: row["id"]
        for key, row in find(
            ctx.connection,
            OPPORTUNITIES,
            OPPORTUNITY_KEYS[0],
            {(r["opportunity_external_id"],) for _, r in items},
            True,
        ).items()
    }
    by_ext = ctx.resolver.contact_ids_by_external(
        {r["contact_external_id"] for _, r in items if r.get("contact_external_id")}
    )
    by_email = ctx.resolver.contact_ids(
        {r["contact_email"] for _, r in items if r.get("contact_email")}, False
    )
    held = _held_roles(ctx, deals.values())
    made, waiting, out = [], [], []
    for line, r in items:
        deal = deals.get(r["opportunity_external_id"])
        contact = by_ext.get(r.get("contact_external_id", "")) or by_email.get(
            r.get("contact_email", "")
        )
        role, primary = r.get("role"), bool(r.get("is_primary"))
        position = 0 if primary else 1
        if deal is not None and contact is not None:
            made.append(links.DealContact(deal, contact, role, primary))
            before = held.get((deal, contact))
            status = "new" if before is None else "updated"
            if before is not None and before[0] == (role or before[0]) and before[1] >= primary:
                status = "unchanged"
            out.append(Written(line, status, deal))
        elif deal is not None and r.get("contact_external_id"):
            waiting.append(
                links.Link(
                    "opportunities", deal, "contacts", r["contact_external_id"], position, role
                )
            )
            out.append(Written(line, "new", deal))
        elif contact is not None:
            waiting.append(
                links.Link(
                    "contacts", contact, "opportunities", r["opportunity_external_id"], position,
                    role,
                )
            )  # fmt: skip
            out.append(Written(line, "new", None))
        else:
            reason = "neither the deal nor the contact is imported: import them, then retry"
            error = RowError(line, "opportunity_external_id", r["opportunity_external_id"], reason)
            out.append(Written(line, "rejected", None, error))
    links.link_deal_contacts(ctx.connection, made)
    if waiting:
        ctx.note(ROLES_WAITING, min(w.line for w in out if w.error is None), len(waiting))
    ctx.defer(waiting)
    return out


ROLES_WAITING = "contact roles wait for their deal or contact to be imported"


def _held_roles(ctx: Context, deals: Iterable[int]) -> dict[tuple[int, int], tuple[str, bool]]:
    """(role, primary) of every contact on these deals, by (deal, contact)."""
    wanted = sorted(set(deals))
    out: dict[tuple[int, int], tuple[str, bool]] = {}
    for start in range(0, len(wanted), IN_BATCH):
        query = select(
            ROLES.c.opportunity_id, ROLES.c.contact_id, ROLES.c.role, ROLES.c.is_primary
        ).where(ROLES.c.opportunity_id.in_(wanted[start : start + IN_BATCH]))
        out.update({(d, c): (role, bool(p)) for d, c, role, p in ctx.connection.execute(query)})
    return out


WON_UNDATED = "won deal without a close date: its contact's customer stage is dated at the import"
WON_BEFORE_FIRST_CONTACT = (
    "deal won before the contact's first contact: the customer stage change is placed at that "
    "first contact (the deal keeps its won date)"
)


def _promote_won(
    ctx: Context, items: list[Item], results: list[Result], contacts: list[int | None]
) -> None:
    won = {
        c: (line, record.get("closed_at"))
        for (line, record), res, c in zip(items, results, contacts, strict=True)
        if c is not None and record.get("is_won") and res.status in ("new", "updated")
    }
    if not won:
        return
    current = ctx.connection.execute(
        select(CONTACTS.c.id, CONTACTS.c.lifecycle_stage, CONTACTS.c.stage_entered_at).where(
            CONTACTS.c.id.in_(won)
        )
    ).all()
    moves = []
    for contact_id, stage, entered in current:
        if stage == Stage.CUSTOMER:
            continue
        line, at = won[contact_id]
        why = lifecycle.import_refusal(stage, Stage.CUSTOMER.value)
        if why is not None:  # e.g. an MQL still waiting for sales: the deal goes in, the stage not
            ctx.note(f"{STAGE_KEPT}: {why}", line)
            continue
        if at is None:  # the stage log needs a moment: the report says it is the import's
            ctx.note(WON_UNDATED, line)
            at = ctx.now
        if entered is not None and at < entered:
            ctx.note(WON_BEFORE_FIRST_CONTACT, line)
            at = entered
        moves.append((contact_id, stage, Stage.CUSTOMER.value, at, False))
    if moves:
        ctx.connection.execute(
            update(CONTACTS)
            .where(CONTACTS.c.id == bindparam("cid"))
            .values(lifecycle_stage=Stage.CUSTOMER.value),
            [{"cid": m[0]} for m in moves],
        )
        record_moves(ctx, moves)


WRITERS: dict[str, Callable[[Context, list[Item]], list[Written]]] = {
    "accounts": write_accounts,
    "contacts": write_contacts,
    "activities": write_activities,
    "campaigns": write_campaigns,
    "assets": write_assets,
    "opportunities": write_opportunities,
    "contact_roles": write_contact_roles,
    "usage": write_usage,
    "user_usage": write_user_usage,
    "entitlements": write_entitlements,
    "subscriptions": write_subscriptions,
}
