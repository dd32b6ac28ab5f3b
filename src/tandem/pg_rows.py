"""PostgreSQL: a batch of rows as one JSON parameter, read by `jsonb_array_elements`.

An executemany of N rows (or SQLAlchemy's multi-row VALUES, with N x columns placeholders)
costs psycopg a Python-side split and adaptation of the whole statement text on every batch;
one JSON text (`json.dumps`, in C) read by the server costs a small fraction of that. Each row
is a JSON array in column order; the statement reads `value ->> i` and casts it to the
column's type, in the order of the array (`WITH ORDINALITY`), so ids are drawn in the order of
the rows, as an executemany draws them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    Float,
    Integer,
    String,
    Table,
    bindparam,
    cast,
    column,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql

from tandem.db import UTCDateTime

#: Rows per statement (a few MB of JSON).
PG_CHUNK = 10_000

Encoder = Callable[[Any], Any]


class Unsupported(TypeError):
    """A column type this path does not encode (the caller falls back to an executemany)."""


def _encoder(column_type: Any, dialect: Any) -> Encoder | None:
    """How a column's (non-null) Python value goes into the JSON row; None: as it is."""
    if isinstance(column_type, UTCDateTime):
        process = column_type.bind_processor(dialect)  # refuses naive datetimes, as a bind does
        return _memo(lambda v: process(v).isoformat())
    if isinstance(column_type, JSON):
        # What psycopg's Json adapter would send: the value as JSON text, stored verbatim.
        return json.dumps
    if isinstance(column_type, Date):
        return lambda v: v.isoformat()
    if isinstance(column_type, Float):
        return lambda v: v if math.isfinite(v) else str(v)  # NaN/inf: text float8 reads
    if isinstance(column_type, (Integer, String, Boolean)) and not isinstance(column_type, Enum):
        return None
    raise Unsupported(f"no JSON encoding for {column_type!r}")


def _memo(encode: Encoder) -> Encoder:
    """`encode` remembering its answers: a batch repeats a few instants (the tick's moment, the
    deadlines of a policy and tier) thousands of times."""
    known: dict[Any, Any] = {}

    def encoded(value: Any) -> Any:
        found = known.get(value)
        if found is None:
            if len(known) > 100_000:
                known.clear()
            found = known[value] = encode(value)
        return found

    return encoded


class JsonRows:
    """Statements over batches of rows (dicts with the keys `names`) of one table."""

    def __init__(self, dialect: Any, table: Table, names: list[str], *, insert: bool) -> None:
        self.table = table
        present = set(names)
        # An insert's Python-side defaults of the columns the rows leave out, applied per row
        # as an executemany applies them (server defaults and the id sequence stay the server's).
        self.defaults = [
            c.default
            for c in table.columns
            if insert
            and c.name not in present
            and c.default is not None
            and not c.default.is_sequence
        ]
        # An update's Python-side onupdate values, worked out once per statement as an
        # execute works them out (sent in the rows, so the statement has no other parameter).
        self.onupdates = [
            c.onupdate
            for c in table.columns
            if not insert and c.name not in present and c.onupdate is not None
        ]
        if any(not (d.is_scalar or d.is_callable) for d in self.defaults + self.onupdates):
            raise Unsupported(f"a SQL expression default on {table.name}")
        self.names = names
        self.columns = names + [d.column.name for d in self.defaults + self.onupdates]
        self.get = itemgetter(*names)
        self.encoded = [
            (i, f)
            for i, n in enumerate(self.columns)
            if (f := _encoder(table.c[n].type, dialect)) is not None
        ]
        self.json_nulls = [
            i
            for i, n in enumerate(self.columns)
            if isinstance(table.c[n].type, JSON) and not table.c[n].type.none_as_null
        ]
        self.rows = (
            func.jsonb_array_elements(cast(bindparam("rows", type_=String), postgresql.JSONB))
            .table_valued(column("value", postgresql.JSONB), with_ordinality="n")
            .render_derived(name="e")
        )
        self.values = {n: self._read(i, n) for i, n in enumerate(self.columns)}

    def _read(self, index: int, name: str) -> Any:
        text = self.rows.c.value[index].astext
        column_type = self.table.c[name].type
        # Text is assigned as is (an over-long value still fails, as a bound one does).
        return text if isinstance(column_type, String) else cast(text, column_type)

    def payload(self, rows: Sequence[dict[str, Any]]) -> dict[str, str]:
        """The statements' parameters for `rows`: one JSON text."""
        out = []
        one = len(self.names) == 1
        once = [_value(d) for d in self.onupdates]
        for row in rows:
            values = [self.get(row)] if one else list(self.get(row))
            for default in self.defaults:
                values.append(_value(default))
            values += once
            for i, encode in self.encoded:
                if values[i] is not None:
                    values[i] = encode(values[i])
            for i in self.json_nulls:
                if values[i] is None:
                    values[i] = "null"  # a JSON column stores None as JSON null, as a bind does
            out.append(values)
        return {"rows": json.dumps(out, separators=(",", ":"))}

    def insert_ignore(self, returning: Sequence[Any]) -> Any:
        """INSERT ... ON CONFLICT DO NOTHING RETURNING `returning`, in the order of the rows."""
        chosen = select(*self.values.values()).order_by(self.rows.c.n)
        return (
            postgresql.insert(self.table)
            .from_select(self.columns, chosen)
            .on_conflict_do_nothing()
            .returning(*returning)
        )

    def update_by_id(self) -> Any:
        """UPDATE the rows (each with its `id`, ids distinct) in one statement."""
        return (
            update(self.table)
            .where(self.table.c.id == self.values["id"])
            .values({n: v for n, v in self.values.items() if n != "id"})
        )


def _value(default: Any) -> Any:
    """A Python-side default's (or onupdate's) value now."""
    return default.arg(None) if default.is_callable else default.arg
