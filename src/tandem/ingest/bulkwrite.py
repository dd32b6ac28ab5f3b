"""Set-based writes of a chunk of validated records (the frame path of contacts and activities).

Per chunk: references are resolved once per distinct value (accounts, campaigns, assets, owners
through the `Resolver`; contacts by email through a per-job id map), existing rows are read with
one statement per key, new rows are inserted with `ON CONFLICT DO NOTHING` and the ones actually
inserted read back (`setsql.Sql`), changed columns are updated with one executemany per set of
columns, stage moves are logged by the lifecycle service (`log_import_moves`). Rows that need
the row path's judgement (a row whose keys point at two contacts, an insert that lost a race)
are handed back as `redo` lines and written by `store` in the same transaction. Nothing here
commits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Table, bindparam, update

from tandem.events import StageChanged, StoredActivity
from tandem.ingest import links, values
from tandem.ingest.chunks import LINE
from tandem.ingest.fields import ID_SEPARATOR
from tandem.ingest.resolve import CONTACTS, AccountRef
from tandem.ingest.rows import RowError
from tandem.ingest.setsql import Sql
from tandem.ingest.store import (
    ACTIVITIES,
    CONTACT_COLUMNS,
    CONTACT_DATED,
    OWNER_MISSING,
    UNKNOWN_ASSET,
    Context,
    Written,
)
from tandem.ingest.text_index import TextIndex
from tandem.lifecycle import service as lifecycle

FULL_MAP_AT = 50_000  # distinct unknown emails in one chunk that make reading the whole map pay
FULL_MAP_LIMIT = 5_000_000  # never hold more contacts than this in memory


@dataclass
class Outcome:
    """What the frame path did with a chunk: per line its status and id, the lines to write by
    the row path, and rows it rejected itself."""

    status: pl.DataFrame  # _line, status (new / updated / unchanged / duplicate), id
    redo: list[int] = field(default_factory=list)
    rejected: list[Written] = field(default_factory=list)


# -- references ----------------------------------------------------------------------------


def _domains(emails: pl.Series) -> pl.Series:
    """`values.company_domain` of each email, computed once per distinct domain part."""
    part = emails.str.split("@").list.last()
    uniq = part.drop_nulls().unique()

    def company(domain: str) -> str | None:
        try:
            return values.company_domain(domain)
        except ValueError:
            return None

    lookup = pl.DataFrame(
        {"k": uniq, "v": pl.Series([company(d) for d in uniq.to_list()], dtype=pl.String)}
    )
    joined = part.to_frame("k").join(lookup, on="k", how="left", maintain_order="left")
    return joined["v"]


def _text(frame: pl.DataFrame, name: str) -> pl.Series:
    if name in frame.columns:
        return frame[name]
    return pl.Series(name, [None] * frame.height, dtype=pl.String)


def account_ids(ctx: Context, frame: pl.DataFrame, email: str | None) -> pl.Series:
    """The account of each record (`AccountRef.of(record, email)`), created when named."""
    explicit = _text(frame, "account_domain")
    explicit = explicit.zip_with(
        ~explicit.is_in(list(values.FREE_MAIL)).fill_null(False),
        pl.Series([None], dtype=pl.String),
    )
    from_email = _domains(frame[email]) if email else _text(frame, "_none")
    refs = pl.DataFrame(
        {
            # The first of several company ids (`fields.split_ids`).
            "ext": _text(frame, "account_external_id")
            .str.split(ID_SEPARATOR)
            .list.first()
            .str.strip_chars(),
            "domain": explicit.fill_null(from_email),
            "name": _text(frame, "account_name"),
            "explicit": explicit.is_not_null(),
        }
    )
    wanted = refs.filter(pl.any_horizontal(pl.col("ext", "domain", "name").is_not_null()))
    uniq = wanted.unique(maintain_order=True)
    if uniq.height == 0:
        return pl.Series("account_id", [None] * frame.height, dtype=pl.Int64)
    listed = [AccountRef(*row) for row in uniq.iter_rows()]
    ids = ctx.resolver.account_ids(listed, create=True)
    lookup = uniq.with_columns(pl.Series("account_id", ids, dtype=pl.Int64))
    joined = refs.join(
        lookup, on=["ext", "domain", "name", "explicit"], how="left", nulls_equal=True,
        maintain_order="left",
    )  # fmt: skip
    return joined["account_id"]


def owner_ids(ctx: Context, frame: pl.DataFrame) -> pl.Series | None:
    """The Tandem user each record names as owner (email, else exact name); notes the misses."""
    if "owner_email" not in frame.columns and "owner_name" not in frame.columns:
        return None
    pairs = pl.DataFrame(
        {"e": _text(frame, "owner_email"), "n": _text(frame, "owner_name"), LINE: frame[LINE]}
    )
    named = pairs.filter(pl.col("e").is_not_null() | pl.col("n").is_not_null())
    uniq = named.select("e", "n").unique(maintain_order=True)
    ids = [ctx.resolver.user_id(e, n) for e, n in uniq.iter_rows()]
    lookup = uniq.with_columns(pl.Series("owner_id", ids, dtype=pl.Int64))
    joined = pairs.join(lookup, on=["e", "n"], how="left", nulls_equal=True, maintain_order="left")
    missed = joined.filter(
        (pl.col("e").is_not_null() | pl.col("n").is_not_null()) & pl.col("owner_id").is_null()
    )
    if missed.height:
        ctx.note(OWNER_MISSING, int(missed[LINE].min()), missed.height)  # type: ignore[arg-type]
    return joined["owner_id"]


def _json_object(frame: pl.DataFrame, items: list[tuple[str, pl.Expr]]) -> pl.Series:
    """`{"k": "v", ...}` per row from (key, text expression) pairs, absent values left out."""
    if not items:
        return pl.Series([None] * frame.height, dtype=pl.String)
    pieces = [
        pl.when(expr.is_not_null()).then(
            pl.struct(expr.alias(key)).struct.json_encode().str.slice(1).str.strip_suffix("}")
        )
        for key, expr in items
    ]
    return (
        frame.select(pl.concat_str(pieces, separator=",", ignore_nulls=True).alias("j"))
        .select(pl.when(pl.col("j").str.len_bytes() > 0).then("{" + pl.col("j") + "}"))
        .to_series()
    )


# -- contacts ------------------------------------------------------------------------------


def write_contacts(ctx: Context, frame: pl.DataFrame) -> Outcome:
    """Contacts matched by email, then external id, linked to their account, stage history kept
    (the rules of `store.write_contacts`, set-based)."""
    sql = Sql(ctx.connection)
    rows = frame.select(LINE, *(c for c in CONTACT_COLUMNS if c in frame.columns))
    extra = {"account_id": account_ids(ctx, frame, "email")}
    owners = owner_ids(ctx, frame)
    if owners is not None:
        extra["owner_id"] = owners
    if "first_touch_campaign" in frame.columns:
        names = set(frame["first_touch_campaign"].drop_nulls().to_list())
        found = ctx.resolver.campaign_ids(names, {})
        lookup = pl.DataFrame(
            {"n": list(found), "id": list(found.values())},
            schema={"n": pl.String, "id": pl.Int64},
        )
        joined = frame.select(pl.col("first_touch_campaign").alias("n")).join(
            lookup, on="n", how="left", maintain_order="left"
        )
        extra["first_touch_campaign_id"] = joined["id"]
    custom = [c for c in frame.columns if c.startswith("custom.")]
    if custom:
        extra["custom_fields"] = _json_object(
            frame, [(c.split(".", 1)[1], pl.col(c)) for c in custom]
        )
    rows = rows.with_columns(s.alias(name) for name, s in extra.items())
    if rows["account_id"].null_count() == rows.height:
        rows = rows.drop("account_id")
    carried = [c for c in rows.columns if c not in (LINE, "email")]
    wanted = list(dict.fromkeys(["id", "email", "external_id", "lifecycle_stage", *carried]))
    old = sql.select(CONTACTS, wanted, "email", rows["email"].to_list())
    by_email = rows.select(LINE, "email").join(
        old.select(pl.col("email"), pl.col("id").alias("_e")), on="email", how="left",
        maintain_order="left",
    )["_e"]  # fmt: skip
    by_ext = pl.Series("_b", [None] * rows.height, dtype=pl.Int64)
    if "external_id" in rows.columns:
        exts = rows["external_id"].drop_nulls().to_list()
        holders = sql.select(CONTACTS, ["id", "external_id"], "external_id", exts)
        by_ext = rows.select("external_id").join(
            holders.rename({"id": "_b"}), on="external_id", how="left", maintain_order="left"
        )["_b"]
    rows = rows.with_columns(by_email.alias("_e"), by_ext.alias("_b"))
    redo_rows = rows.filter(
        pl.col("_b").is_not_null() & (pl.col("_e").is_null() | (pl.col("_b") != pl.col("_e")))
    )
    updates = rows.filter(
        pl.col("_e").is_not_null() & (pl.col("_b").is_null() | (pl.col("_b") == pl.col("_e")))
    )
    inserts = rows.filter(pl.col("_e").is_null() & pl.col("_b").is_null())
    updated, rejected = _update_contacts(ctx, updates, old, carried, frame)
    new, lost = _insert_contacts(ctx, sql, inserts, frame)
    redo = redo_rows[LINE].to_list() + lost
    status = pl.concat([updated, new])
    _defer_accounts(ctx, frame, status)
    return Outcome(status, sorted(redo), rejected)


def _defer_accounts(ctx: Context, frame: pl.DataFrame, status: pl.DataFrame) -> None:
    """Contacts naming a company id no account has (yet) wait for it (`store._defer_accounts`,
    set-based)."""
    if "account_external_id" not in frame.columns:
        ctx.resolve_links()
        return
    named = status.join(
        frame.select(
            LINE,
            pl.col("account_external_id").str.split(ID_SEPARATOR).list.first().str.strip_chars(),
        ),
        on=LINE,
    ).filter(pl.col("account_external_id").is_not_null())
    pairs = named.select("id", "account_external_id").iter_rows()
    waiting = [
        links.Link("contacts", contact, "accounts", ext)
        for contact, ext in pairs
        if not ctx.resolver.knows_account(ext)
    ]
    ctx.defer(waiting, [("contacts", contact, "accounts") for contact in named["id"].to_list()])


def _changed(new: pl.Expr, old: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    floats = dtype in (pl.Float64, pl.Float32)
    differs = (new - old).abs() >= 1e-9 if floats else new != old
    return new.is_not_null() & (old.is_null() | differs).fill_null(True)


def _update_contacts(
    ctx: Context, rows: pl.DataFrame, old: pl.DataFrame, carried: list[str], frame: pl.DataFrame
) -> tuple[pl.DataFrame, list[Written]]:
    """Update matched contacts; returns their statuses and the rows the lifecycle refused."""
    empty = pl.DataFrame(schema={LINE: pl.Int64, "status": pl.String, "id": pl.Int64})
    if rows.height == 0:
        return empty, []
    before = old.rename({c: f"_old_{c}" for c in old.columns if c != "id"}).rename({"id": "_e"})
    joined = rows.join(before, on="_e", how="left", maintain_order="left")
    rejected: list[Written] = []
    if "lifecycle_stage" in carried:
        # The lifecycle's import policy, set-based: a refused move quarantines its row.
        verdicts = lifecycle.refused_imports(
            joined.select(
                LINE,
                pl.col("_old_lifecycle_stage").alias("from_stage"),
                pl.col("lifecycle_stage").alias("to_stage"),
            )
        )
        refused = verdicts.filter(
            pl.col("from_stage").is_not_null()
            & pl.col("to_stage").is_not_null()
            & (pl.col("from_stage") != pl.col("to_stage"))
            & pl.col("refusal").is_not_null()
        ).select(LINE, "to_stage", "refusal")
        if refused.height:
            joined = joined.filter(~pl.col(LINE).is_in(refused[LINE].to_list()))
            rejected += [
                Written(line, "rejected", None, RowError(line, "lifecycle_stage", to, why))
                for line, to, why in refused.iter_rows()
            ]
    plain = [c for c in carried if c != "custom_fields"]
    flags = joined.select(
        pl.col(LINE),
        *(_changed(pl.col(c), pl.col(f"_old_{c}"), joined.schema[c]).alias(c) for c in plain),
    )
    merged: dict[int, dict[str, Any]] = {}
    if "custom_fields" in carried:
        for line, new_text, old_text in joined.select(
            LINE, "custom_fields", "_old_custom_fields"
        ).iter_rows():
            if new_text is None:
                continue
            current = json.loads(old_text) if old_text else {}
            combined = {**current, **json.loads(new_text)}
            if combined != current:
                merged[line] = combined
        flags = flags.with_columns(pl.col(LINE).is_in(list(merged)).alias("custom_fields"))
    names = [c for c in flags.columns if c != LINE]
    any_change = pl.any_horizontal(names) if names else pl.lit(False)
    status = flags.select(
        pl.col(LINE),
        pl.when(any_change).then(pl.lit("updated")).otherwise(pl.lit("unchanged")).alias("status"),
    ).with_columns(joined["_e"].alias("id"))
    changed = flags.filter(any_change)
    if changed.height:
        _apply_updates(ctx, joined, changed, names, merged)
        _stage_moves(ctx, joined, changed, frame)
    return status, rejected


def _apply_updates(
    ctx: Context,
    joined: pl.DataFrame,
    changed: pl.DataFrame,
    names: list[str],
    merged: dict[int, dict[str, Any]],
) -> None:
    values_by_line = {
        row[LINE]: row
        for row in joined.filter(pl.col(LINE).is_in(changed[LINE].to_list())).iter_rows(named=True)
    }
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for flags in changed.iter_rows(named=True):
        line = flags[LINE]
        columns = tuple(c for c in names if flags[c])
        row = values_by_line[line]
        params = {f"v_{c}": merged[line] if c == "custom_fields" else row[c] for c in columns}
        groups.setdefault(columns, []).append({**params, "v_id": row["_e"]})
    for columns, params in groups.items():
        statement = (
            update(CONTACTS)
            .where(CONTACTS.c.id == bindparam("v_id"))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        ctx.connection.execute(statement, params)


def _stage_moves(
    ctx: Context, joined: pl.DataFrame, changed: pl.DataFrame, frame: pl.DataFrame
) -> None:
    if "lifecycle_stage" not in changed.columns:
        return
    moved = changed.filter(pl.col("lifecycle_stage"))[LINE]
    if moved.len() == 0:
        return
    known = "stage_entered_at" in frame.columns
    picked = joined.filter(pl.col(LINE).is_in(moved.to_list())).select(
        pl.col(LINE),
        pl.col("_e").alias("contact_id"),
        pl.col("_old_lifecycle_stage").alias("from_stage"),
        pl.col("lifecycle_stage").alias("to_stage"),
        (pl.col("stage_entered_at") if known else pl.lit(None, pl.Datetime("us", "UTC")))
        .fill_null(pl.lit(ctx.now))
        .alias("occurred_at"),
        (pl.col("stage_entered_at").is_not_null() if known else pl.lit(False)).alias("_known"),
    )
    _record_moves(ctx, picked)


def _record_moves(ctx: Context, moves: pl.DataFrame) -> None:
    """Log the moves through the lifecycle and announce them."""
    frame = moves.select(pl.col(c).cast(t) for c, t in lifecycle.MOVE_SCHEMA.items())
    ctx.publish(StageChanged(lifecycle.log_import_moves(ctx.connection, frame, cause=ctx.actor)))


def _with_defaults(rows: pl.DataFrame, now: Any, table: Table) -> pl.DataFrame:
    """Fill absent values of NOT NULL columns that have a Python default (as the ORM would)."""
    fills = []
    for column in table.columns:
        default = column.default
        if column.name == "id" or column.nullable or default is None:
            continue
        if not hasattr(default, "arg"):
            continue
        value = default.arg(None) if callable(default.arg) else default.arg
        if isinstance(value, datetime):
            value = now  # one clock for the chunk
        if isinstance(value, dict | list):
            value = json.dumps(value)
        if column.name in rows.columns:
            fills.append(pl.col(column.name).fill_null(pl.lit(value)))
        else:
            fills.append(pl.lit(value).alias(column.name))
    return rows.with_columns(fills) if fills else rows


def _sourced(ctx: Context, rows: pl.DataFrame) -> pl.DataFrame:
    """`rows` to insert, with the context's source (when it has one)."""
    if ctx.source_id is None:
        return rows
    return rows.with_columns(pl.lit(ctx.source_id, pl.Int64).alias("source_id"))


def _insert_contacts(
    ctx: Context, sql: Sql, rows: pl.DataFrame, frame: pl.DataFrame
) -> tuple[pl.DataFrame, list[int]]:
    empty = pl.DataFrame(schema={LINE: pl.Int64, "status": pl.String, "id": pl.Int64})
    if rows.height == 0:
        return empty, []
    staged = rows.drop("_e", "_b")
    has_stage = "lifecycle_stage" in staged.columns
    if has_stage:
        at = pl.coalesce(
            *(pl.col(c) for c in ("stage_entered_at", "created_at") if c in staged.columns),
            pl.lit(ctx.now, pl.Datetime("us", "UTC")),
        )
        staged = staged.with_columns(
            pl.when(pl.col("lifecycle_stage").is_not_null()).then(at).alias("stage_entered_at")
            if "stage_entered_at" not in staged.columns
            else pl.col("stage_entered_at").fill_null(
                pl.when(pl.col("lifecycle_stage").is_not_null()).then(at)
            )
        )
    lines = staged[LINE]
    staged = _sourced(ctx, _with_defaults(staged.drop(LINE), ctx.now, CONTACTS))
    back = sql.insert_new(CONTACTS, staged, ["email"], exclusive=True)
    keyed = pl.DataFrame({LINE: lines, "email": staged["email"]})
    done = keyed.join(back, on="email", how="left", maintain_order="left")
    lost = done.filter(pl.col("id").is_null())[LINE].to_list()
    inserted = done.filter(pl.col("id").is_not_null())
    if "created_at" in rows.columns:
        undated = inserted.join(rows.filter(pl.col("created_at").is_null()).select(LINE), on=LINE)
    else:
        undated = inserted
    if undated.height:
        ctx.note(CONTACT_DATED, int(undated[LINE].min()), undated.height)  # type: ignore[arg-type]
    if has_stage:
        moves = (
            inserted.join(rows.select(LINE, "lifecycle_stage"), on=LINE)
            .join(staged.select("email", "stage_entered_at"), on="email")
            .filter(pl.col("lifecycle_stage").is_not_null())
        )
        if moves.height:
            _record_moves(
                ctx,
                moves.select(
                    pl.col("id").alias("contact_id"),
                    pl.lit(None, pl.String).alias("from_stage"),
                    pl.col("lifecycle_stage").alias("to_stage"),
                    pl.col("stage_entered_at").alias("occurred_at"),
                    pl.lit(True).alias("_known"),
                ),
            )
    status = inserted.select(LINE, pl.lit("new").alias("status"), "id")
    return status, lost


# -- activities ----------------------------------------------------------------------------


class ContactIds:
    """Contact id by email for one job: read as needed (or once whole, for big files), created
    (linked to the account of the email's domain) when unknown."""

    def __init__(self) -> None:
        self.known = TextIndex()
        self.whole = False

    def resolve(self, ctx: Context, emails: pl.Series) -> pl.Series:
        """The contact id of each of `emails` (null where the email is null)."""
        sql = Sql(ctx.connection)
        found = self.known.lookup(emails)
        missing = emails.filter(found.is_null()).drop_nulls().unique()
        if missing.len() >= FULL_MAP_AT and not self.whole:
            self.whole = True
            if sql.count(CONTACTS) <= FULL_MAP_LIMIT:
                everyone = sql.select_all(CONTACTS, ["email", "id"])
                self.known.replace(everyone["email"], everyone["id"])
                missing = missing.filter(self.known.lookup(missing).is_null())
        if missing.len():
            self._add(sql.select(CONTACTS, ["email", "id"], "email", missing.to_list()))
            missing = missing.filter(self.known.lookup(missing).is_null())
        if missing.len():
            self._create(ctx, sql, missing.to_frame("email"))
        return found if found.null_count() == emails.null_count() else self.known.lookup(emails)

    def _add(self, found: pl.DataFrame) -> None:
        self.known.add(found["email"], found["id"])

    def _create(self, ctx: Context, sql: Sql, missing: pl.DataFrame) -> None:
        ordered = missing.sort("email")
        rows = ordered.with_columns(account_ids_by_domain(ctx, ordered["email"]))
        rows = _sourced(ctx, _with_defaults(rows, ctx.now, CONTACTS))
        back = sql.insert_new(CONTACTS, rows, ["email"], exclusive=True)
        self._add(back)
        ctx.resolver._count("contacts", back.height)
        rest = ordered.join(back, on="email", how="anti")
        if rest.height:  # created meanwhile by another writer
            self._add(sql.select(CONTACTS, ["email", "id"], "email", rest["email"].to_list()))


def account_ids_by_domain(ctx: Context, emails: pl.Series) -> pl.Series:
    """The existing account owning each email's (company) domain; never creates one."""
    domains = _domains(emails)
    uniq = domains.drop_nulls().unique()
    if uniq.len() == 0:
        return pl.Series("account_id", [None] * emails.len(), dtype=pl.Int64)
    ids = ctx.resolver.account_ids([AccountRef(None, d, None, False) for d in uniq], create=False)
    lookup = pl.DataFrame({"d": uniq, "account_id": pl.Series(ids, dtype=pl.Int64)})
    return (
        domains.to_frame("d")
        .join(lookup, on="d", how="left", maintain_order="left")["account_id"]
        .alias("account_id")
    )


def write_activities(
    ctx: Context,
    frame: pl.DataFrame,
    contacts: ContactIds,
    exclusive: bool = True,
    bulk: bool = False,
) -> Outcome:
    """Touches stored once per idempotency key (the rules of `store.write_activities`); a key
    repeated in `frame` is new at most once, at its first line. `exclusive`: see
    `Sql.insert_new`; `bulk`: a big load with the indexes dropped (`Sql.load_new`)."""
    sql = Sql(ctx.connection)
    email = _text(frame, "contact_email")
    contact = contacts.resolve(ctx, email)
    external = _text(frame, "contact_external_id")
    only_ext = external.zip_with(email.is_null(), pl.Series([None], dtype=pl.String))
    if only_ext.null_count() < frame.height:
        found = ctx.resolver.contact_ids_by_external(set(only_ext.drop_nulls().to_list()))
        lookup = pl.DataFrame(
            {"e": list(found), "id": list(found.values())}, schema={"e": pl.String, "id": pl.Int64}
        )
        by_ext = only_ext.to_frame("e").join(lookup, on="e", how="left", maintain_order="left")
        contact = contact.fill_null(by_ext["id"])
    frame = frame.with_columns(contact.alias("_contact"), external.alias("_external"))
    missing = frame.filter(pl.col("_contact").is_null())
    reason = "no contact has this external id (give contact_email to create one)"
    rejected = [
        Written(line, "rejected", None, RowError(line, "contact_external_id", ext, reason))
        for line, ext in missing.select(LINE, "_external").iter_rows()
    ]
    frame = frame.filter(pl.col("_contact").is_not_null())
    campaign_id = pl.Series([None] * frame.height, dtype=pl.Int64)
    if "campaign" in frame.columns:
        channel = _text(frame, "channel")
        named = frame.select(pl.col("campaign"), channel.alias("c")).filter(
            pl.col("campaign").is_not_null()
        )
        channel_of = dict(named.group_by("campaign", maintain_order=True).last().iter_rows())
        found = ctx.resolver.campaign_ids(set(channel_of), channel_of)
        lookup = pl.DataFrame(
            {"n": list(found), "id": list(found.values())}, schema={"n": pl.String, "id": pl.Int64}
        )
        campaign_id = frame.select(pl.col("campaign").alias("n")).join(
            lookup, on="n", how="left", maintain_order="left"
        )["id"]
    asset_id = pl.Series([None] * frame.height, dtype=pl.Int64)
    if "asset" in frame.columns:
        found = ctx.resolver.asset_ids(set(frame["asset"].drop_nulls().to_list()))
        lookup = pl.DataFrame(
            {"n": list(found), "id": list(found.values())}, schema={"n": pl.String, "id": pl.Int64}
        )
        asset_id = frame.select(pl.col("asset").alias("n")).join(
            lookup, on="n", how="left", maintain_order="left"
        )["id"]
    if "url" in frame.columns:  # a page view of an asset's URL names the asset
        urls = _text(frame, "url")
        by_url = ctx.resolver.asset_ids_by_url(set(urls.drop_nulls().to_list()))
        if by_url:
            lookup = pl.DataFrame(
                {"n": list(by_url), "id": list(by_url.values())},
                schema={"n": pl.String, "id": pl.Int64},
            )
            matched = urls.to_frame("n").join(lookup, on="n", how="left", maintain_order="left")
            asset_id = asset_id.fill_null(matched["id"])
    frame = frame.with_columns(campaign_id.alias("_campaign"), asset_id.alias("_asset"))
    if "asset" in frame.columns:  # naming an asset the library does not have: quarantined
        unknown = pl.col("asset").is_not_null() & pl.col("_asset").is_null()
        rejected += [
            Written(line, "rejected", None, RowError(line, "asset", name, UNKNOWN_ASSET))
            for line, name in frame.filter(unknown).select(LINE, "asset").iter_rows()
        ]
        frame = frame.filter(~unknown)
    props = [(c.split(".", 1)[1], pl.col(c)) for c in frame.columns if c.startswith("properties.")]
    if "source" in frame.columns:
        props.append(("source", pl.col("source")))
    if "asset" in frame.columns:
        props.append(("asset", pl.when(pl.col("_asset").is_null()).then(pl.col("asset"))))
    rows = frame.select(
        "idempotency_key",
        pl.col("_contact").alias("contact_id"),
        "type",
        "occurred_at",
        pl.lit(ctx.now, pl.Datetime("us", "UTC")).alias("received_at"),
        pl.col("_campaign").alias("campaign_id"),
        pl.col("_asset").alias("asset_id"),
        _text(frame, "channel").alias("channel"),
        _text(frame, "url").alias("url"),
        _json_object(frame, props).fill_null("{}").alias("properties"),
    )
    rows = _sourced(ctx, rows)
    announced = ("contact_id", "type", "occurred_at")
    if bulk:
        back = sql.load_new(
            ACTIVITIES, rows, "idempotency_key", returning=announced, parent="contact_id"
        )
    else:
        back = sql.insert_new(
            ACTIVITIES,
            rows,
            ["idempotency_key", *announced],
            sort="idempotency_key",
            exclusive=exclusive,
        )
    done = frame.select(
        LINE, "idempotency_key", pl.col(LINE).rank("ordinal").over("idempotency_key").alias("_n")
    ).join(back, on="idempotency_key", how="left", maintain_order="left")
    done = done.with_columns(pl.when(pl.col("_n") == 1).then(pl.col("id")).alias("id"))
    status = done.select(
        LINE,
        pl.when(pl.col("id").is_not_null())
        .then(pl.lit("new"))
        .otherwise(pl.lit("duplicate"))
        .alias("status"),
        "id",
    )
    ctx.announce(Announced(back.select("id", *announced)))  # type: ignore[arg-type]
    return Outcome(status, [], rejected)


class Announced(Sequence[StoredActivity]):
    """New activities for `activities_stored`, made into objects only if a subscriber reads
    them (a chunk holds up to 100,000)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._items: list[StoredActivity] | None = None

    def _list(self) -> list[StoredActivity]:
        if self._items is None:
            self._items = [StoredActivity(*row) for row in self.frame.iter_rows()]
        return self._items

    def __len__(self) -> int:
        return self.frame.height

    def contact_ids(self) -> list[int]:
        """`events.distinct_contacts`, from the column."""
        return self.frame["contact_id"].unique().sort().to_list()

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __iter__(self) -> Iterator[StoredActivity]:
        return iter(self._list())
