"""Insert-or-update of a batch of rows matched on their keys, reporting what each row did.

SQLAlchemy Core on SQLite and PostgreSQL alike. Inserts use ON CONFLICT DO NOTHING, so a row
that a concurrent writer inserted first is found again and treated as an update, never an error.
Only the columns a row carries are compared and written: an empty cell does not erase data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, func, or_, select, update

from tandem.sql import dialect_insert

IN_BATCH = 500  # values per IN (...) list: well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class Key:
    """A match key: columns compared together, optionally case-insensitively."""

    columns: tuple[str, ...]
    folded: bool = False
    nullable: tuple[str, ...] = ()  # columns where NULL is a value to match (IS NULL)
    unique: bool = True  # a unique index backs it: no two rows may share the value

    def of(self, row: dict[str, Any]) -> tuple[Any, ...] | None:
        if len(self.columns) == 1 and not self.folded:  # the hot path: email, external id
            value = row.get(self.columns[0])
            return None if value is None or value == "" else (value,)
        values = tuple(row.get(c) for c in self.columns)
        if any(
            v in (None, "") and c not in self.nullable
            for c, v in zip(self.columns, values, strict=True)
        ):
            return None
        return tuple(v.lower() if self.folded and isinstance(v, str) else v for v in values)


class Refused(ValueError):
    """Raised by an `adjust` hook: the row may not change its match (nothing is written)."""

    def __init__(self, column: str, value: Any, reason: str) -> None:
        self.column, self.value, self.reason = column, value, reason
        super().__init__(reason)


@dataclass
class Result:
    """What happened to one input row: new, updated, unchanged, duplicate (of an earlier row of
    the same batch), conflict (its keys match different rows: nothing written) or refused (the
    `adjust` hook said why not: nothing written), with the row's id and, for updates, the
    changed columns' previous and new values."""

    status: str
    id: int
    before: dict[str, Any] | None = None
    changes: dict[str, Any] | None = None


def find(
    connection: Connection,
    table: Table,
    key: Key,
    values: Iterable[tuple[Any, ...]],
    ids_only: bool = False,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Existing rows whose `key` is among `values`, by key value (`ids_only`: only their id
    and key columns)."""
    wanted = list(dict.fromkeys(values))
    shown = [table.c.id, *(table.c[c] for c in key.columns)] if ids_only else [table]
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for start in range(0, len(wanted), IN_BATCH):
        part = wanted[start : start + IN_BATCH]
        if len(key.columns) == 1:
            column = table.c[key.columns[0]]
            expr = func.lower(column) if key.folded else column
            where = expr.in_([p[0] for p in part])
        else:
            where = or_(
                *(
                    and_(*(table.c[c] == v for c, v in zip(key.columns, p, strict=True)))
                    for p in part
                )
            )
        for row in connection.execute(select(*shown).where(where)).mappings():
            found.setdefault(key.of(dict(row)) or (), dict(row))
    return found


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[Key],
    json_column: str | None = None,
    adjust: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
) -> list[Result]:
    """Match each row on `keys` in order; insert the unmatched and update the changed columns of
    the matched. A later key only matches a row whose earlier keys are empty or equal (a deal
    with another external id is another deal, even under the same name). Rows repeating an
    earlier row's first key in the same batch are `duplicate`s (the earlier one wins)."""
    existing = _existing(connection, table, rows, keys)
    results: list[Result | None] = [None] * len(rows)
    inserts: list[int] = []
    claimed: dict[tuple[int, tuple[Any, ...]], int] = {}
    repeats: dict[int, int] = {}
    for i, row in enumerate(rows):
        own = [(n, k.of(row)) for n, k in enumerate(keys) if k.of(row) is not None]
        if own and own[0] in claimed:
            repeats[i] = claimed[own[0]]
            continue
        if own:
            claimed[own[0]] = i
        matches = _matches(row, own, existing, keys)
        if len(matches) > 1:
            results[i] = Result("conflict", min(matches), {"ids": sorted(matches)})
        elif matches:
            results[i] = _update_result(row, next(iter(matches.values())), json_column, adjust)
        else:
            inserts.append(i)
    conflicted = _insert(connection, table, rows, inserts, keys, results)
    if conflicted:  # lost a race to a concurrent writer: those rows exist now, so update them
        again = _existing(connection, table, [rows[i] for i in conflicted], keys)
        for i in conflicted:
            row = rows[i]
            own = [(n, k.of(row)) for n, k in enumerate(keys) if k.of(row) is not None]
            found = _matches(row, own, again, keys)
            if len(found) == 1:
                results[i] = _update_result(row, next(iter(found.values())), json_column, adjust)
            else:  # unique on a column that is not a key, or keys pointing at two rows
                results[i] = Result("conflict", min(found, default=0), {"ids": sorted(found)})
    _apply_updates(connection, table, results)
    for i, earlier in repeats.items():
        results[i] = Result("duplicate", results[earlier].id)  # type: ignore[union-attr]
    return results  # type: ignore[return-value]


def _matches(
    row: dict[str, Any],
    own: list[tuple[int, tuple[Any, ...] | None]],
    existing: list[dict[tuple[Any, ...], dict[str, Any]]],
    keys: Sequence[Key],
) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    taken: set[int] = set()
    for n, value in own:
        match = existing[n].get(value)  # type: ignore[arg-type]
        if match is None:
            continue
        earlier = [keys[m] for m, _ in own if m < n]
        if all(match.get(c) in (None, row.get(c)) for k in earlier for c in k.columns):
            out[match["id"]] = match
        elif keys[n].unique:
            taken.add(match["id"])
    if out and taken - set(out):
        # Updating the match would give it a unique value another row holds: report, not crash.
        return {**out, **{i: {"id": i} for i in taken}}
    return out


def _existing(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[Key]
) -> list[dict[tuple[Any, ...], dict[str, Any]]]:
    out = []
    for key in keys:
        values = [v for row in rows if (v := key.of(row)) is not None]
        out.append(find(connection, table, key, values) if values else {})
    return out


def _update_result(
    row: dict[str, Any],
    match: dict[str, Any],
    json_column: str | None,
    adjust: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None,
) -> Result:
    if adjust is not None:
        try:
            row = adjust(row, match)
        except Refused as exc:
            return Result("refused", match["id"], {"refused": exc})
    changed: dict[str, Any] = {}
    for column, value in row.items():
        if column == json_column:
            merged = {**(match[column] or {}), **value}
            if merged != (match[column] or {}):
                changed[column] = merged
        elif column not in match or not _same(match[column], value):
            changed[column] = value
    if not changed:
        return Result("unchanged", match["id"])
    return Result("updated", match["id"], {c: match.get(c) for c in changed}, changed)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        return old is not None and new is not None and abs(float(old) - float(new)) < 1e-9
    return bool(old == new)


def _insert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    indexes: list[int],
    keys: Sequence[Key],
    results: list[Result | None],
) -> list[int]:
    """Insert rows (grouped by column set), fill their results; return the rows that conflicted."""
    key_columns = sorted({c for k in keys for c in k.columns})
    groups: dict[tuple[str, ...], list[int]] = {}
    for i in indexes:
        groups.setdefault(tuple(sorted(rows[i])), []).append(i)
    conflicted: list[int] = []
    for _columns, members in groups.items():
        statement = (
            dialect_insert(connection, table)
            .on_conflict_do_nothing()
            .returning(table.c.id, *(table.c[c] for c in key_columns))
        )
        returned = connection.execute(statement, [rows[i] for i in members]).mappings().all()
        plain = [dict(r) for r in returned]
        by_key = [{k.of(r): r["id"] for r in plain} for k in keys]
        for i in members:
            # A row without a key's value must not match the returned rows lacking it too.
            found = next(
                (
                    by_key[n][v]
                    for n, k in enumerate(keys)
                    if (v := k.of(rows[i])) is not None and v in by_key[n]
                ),
                None,
            )
            if found is None:
                conflicted.append(i)
            else:
                results[i] = Result("new", found)
    return conflicted


def _apply_updates(connection: Connection, table: Table, results: list[Result | None]) -> None:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for result in results:
        if result is not None and result.changes:
            params = {f"v_{c}": value for c, value in result.changes.items()}
            groups.setdefault(tuple(sorted(result.changes)), []).append(
                {**params, "v_id": result.id}
            )
    for columns, params in groups.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("v_id"))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        connection.execute(statement, params)
