"""Map and validate a chunk of CSV records column by column (Polars), by the row path's rules.

`FrameMapper` does for a whole chunk what `rows.RowMapper` does for one record, and only accepts
a record when the row path would accept it with the same values. Every other record (a bad
value, a value in a rarer format, a missing required field, characters Python and Polars trim
differently) goes back to the row path, which gives the exact reasons. Values that repeat (stages,
types, countries, channels, campaign names...) are parsed once per distinct value by the row
path's own parsers; the frequent formats (emails, ISO 8601 and epoch timestamps, plain numbers,
text) are checked with expressions. Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from tandem.bounds import out_of_range
from tandem.ingest import values as v
from tandem.ingest.chunks import LINE, column
from tandem.ingest.fields import Field, Kind
from tandem.ingest.mapping import Mapping, header_key
from tandem.ingest.rows import PARSERS, ColumnPlan, Options, SlashedDates, _normalise

UTC_US = pl.Datetime("us", "UTC")
DTYPES: dict[str, pl.DataType] = {
    "decimal": pl.Float64(),
    "float": pl.Float64(),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "datetime": UTC_US,
}
FAST_KINDS = ("contacts", "activities")
# Python's str.strip() also strips these; Polars does not: such rows take the row path.
_ODD = r"[\x1c-\x1f]"
_EMAIL = r"^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,63}$"
_ISO = (
    r"^(\d{4}-\d{2}-\d{2})(?:[T ]([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,6}))?)?"
    r"(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?)?$"
)
_EPOCH_MS_EXACT = 4_000_000_000_000  # below it, ms / 1000 as a float rounds to the exact µs
_BLANK = object()


def supported(kind: Kind, mapping: Mapping) -> str | None:
    """Why this kind and mapping need the row path for every record (None: they do not)."""
    if kind.name not in FAST_KINDS:
        return f"{kind.name} use the row path"
    if mapping.scale:
        return "scaled values use the row path"
    if mapping.derive:
        return "derived values use the row path"  # which rule filled what is counted per record
    for name, default in mapping.defaults.items():
        if isinstance(default, dict | list):
            return f"default of {name} is not a single value"
    for name, table in mapping.values.items():
        custom = name not in kind.fields
        if custom and any(not isinstance(x, str | None) for x in table.values()):
            return f"value map of {name} gives non-text values"
    return None


@dataclass
class Mapped:
    """A chunk's records the frame path accepts (`frame`: `_line` plus one typed column per
    field, `custom.<name>` / `properties.<name>` as text), and the lines left to the row path."""

    frame: pl.DataFrame
    unsure: list[int]


class FrameMapper:
    """Maps and validates chunks of one file (`kind`, `mapping`, header `plan`)."""

    def __init__(self, kind: Kind, mapping: Mapping, plan: ColumnPlan, strict: bool) -> None:
        reason = supported(kind, mapping)
        if reason is not None:
            raise ValueError(reason)
        self.kind, self.mapping, self.plan, self.strict = kind, mapping, plan, strict
        self.options = Options(tuple(mapping.date_formats), mapping.decimal_mark)
        self.value_maps = {
            name: {header_key(str(k)): val for k, val in table.items()}
            for name, table in mapping.values.items()
        }
        self.fields = list(dict.fromkeys([*plan.sources, *mapping.templates, *mapping.defaults]))
        last = {header_key(h): i for i, h in enumerate(plan.header)}
        self.templates = {name: _template(text, last) for name, text in mapping.templates.items()}
        self.slashed = SlashedDates()  # as `RowMapper.slashed`, for the records of this path
        self.dated = (
            ()
            if mapping.date_formats
            else tuple(
                n
                for n in self.fields
                if n in kind.fields and kind.fields[n].type in ("date", "datetime")
            )
        )

    def __call__(self, frame: pl.DataFrame) -> Mapped:
        if frame.height == 0:
            return Mapped(self._empty(), [])
        width = len(self.plan.header)
        cells = [column(i) for i in range(width)]
        odd = _ODD if self.strict else _ODD[:-1] + "\ufffd]"
        stripped = frame.select(
            pl.col(LINE),
            *(_stripped(pl.col(c)).alias(c) for c in cells),
            pl.any_horizontal(pl.col(c).str.contains(odd).fill_null(False) for c in cells).alias(
                "_odd"
            ),
        )
        raw: dict[str, pl.Series] = {}
        unsure = stripped["_odd"]
        for name in self.fields:
            series, blank = self._raw(stripped, name)
            raw[name] = series
            if blank is not None:
                unsure = unsure | blank
        for name in self.dated:
            self._watch(stripped[LINE], raw[name])
        typed: dict[str, pl.Series] = {}
        for name, series in raw.items():
            spec = self.kind.fields.get(name)
            if spec is None:  # custom.<name>: kept as trimmed text
                typed[name] = series.str.strip_chars()
                continue
            value, ok = self._parse(series, spec)
            typed[name] = value.alias(name)
            unsure = unsure | ~ok
        for group in self.kind.required:
            present = [typed[n].is_not_null() for n in group if n in typed]
            given = present[0] if present else pl.repeat(False, frame.height, eager=True)
            for other in present[1:]:
                given = given | other
            unsure = unsure | ~given
        out = pl.DataFrame([stripped[LINE], *typed.values()])
        unsure = unsure.fill_null(True)
        lines = out.filter(unsure)[LINE].to_list()
        clean = out.filter(~unsure)
        return Mapped(derive(self.kind.name, clean), lines)

    def _watch(self, lines: pl.Series, series: pl.Series) -> None:
        """`values.slashed_order` of a chunk's dates, set-based: the first line of each."""
        if not series.str.contains("/", literal=True).any():
            return
        firsts = (
            pl.DataFrame({"t": series.str.strip_chars(), LINE: lines})
            .select(
                pl.col("t").str.extract(v.SLASHED, 1).cast(pl.Int32).alias("a"),
                pl.col("t").str.extract(v.SLASHED, 2).cast(pl.Int32).alias("b"),
                LINE,
            )
            .drop_nulls()
            .group_by("a", "b")
            .agg(pl.col(LINE).min())
        )
        for a, b, line in firsts.iter_rows():  # at most 99 x 99 pairs
            self.slashed.add(v.order_of(a, b), line)

    def _empty(self) -> pl.DataFrame:
        schema = {LINE: pl.Int64(), **{n: self._dtype(n) for n in self.fields}}
        return derive(self.kind.name, pl.DataFrame(schema=schema))

    def _dtype(self, name: str) -> pl.DataType:
        spec = self.kind.fields.get(name)
        return DTYPES.get(spec.type, pl.String()) if spec else pl.String()

    def _raw(self, frame: pl.DataFrame, name: str) -> tuple[pl.Series, pl.Series | None]:
        """A field's raw text as `RowMapper.raw_values` gives it (sources, normalisation, value
        map, template, default), and which rows map to blank text (those take the row path)."""
        sources = self.plan.sources.get(name, ())
        height = frame.height
        if sources:
            series = frame.select(pl.coalesce([pl.col(column(i)) for i in sources]))
            series = series.to_series()
        else:
            series = pl.Series(name, [None] * height, dtype=pl.String)
        blank = None
        if name in self.mapping.normalize or name in self.value_maps:
            series, blank = self._prepare(series, name)
        if name in self.templates:
            series = (
                pl.DataFrame({"a": series})
                .select(pl.coalesce(pl.col("a"), self.templates[name](frame)))
                .to_series()
            )
        if name in self.mapping.defaults and self.mapping.defaults[name] is not None:
            series = series.fill_null(str(self.mapping.defaults[name]))
        return series.alias(name), blank

    def _prepare(self, series: pl.Series, name: str) -> tuple[pl.Series, pl.Series]:
        how = self.mapping.normalize.get(name)
        table = self.value_maps.get(name)

        def prepare(value: str) -> Any:
            if how:
                value = _normalise(value, how)
            if table is not None:
                value = table.get(header_key(value), value)
            if value in ("", None):
                return None
            if isinstance(value, str) and not value.strip():
                return _BLANK
            return value if isinstance(value, str) else str(value)

        uniq = series.drop_nulls().unique()
        done = [prepare(x) for x in uniq.to_list()]
        lookup = pl.DataFrame(
            {
                "k": uniq,
                "v": pl.Series([None if d is _BLANK else d for d in done], dtype=pl.String),
                "blank": [d is _BLANK for d in done],
            }
        )
        joined = series.to_frame("k").join(lookup, on="k", how="left", maintain_order="left")
        return joined["v"].alias(name), joined["blank"].fill_null(False)

    def _parse(self, series: pl.Series, spec: Field) -> tuple[pl.Series, pl.Series]:
        """Typed values and, per row, whether the value is surely the row path's (absent
        values are fine). A value with a NUL character goes to the row path, which refuses it."""
        value, ok = self._parse_value(series, spec)
        if series.dtype == pl.String:
            ok = ok & ~series.str.contains("\x00", literal=True).fill_null(False)
        return value, ok

    def _parse_value(self, series: pl.Series, spec: Field) -> tuple[pl.Series, pl.Series]:
        kind = spec.type
        if kind == "text":
            value = series.str.strip_chars()
            ok = value.is_null() | (value.str.len_chars() <= (spec.max_length or 10**9))
            return value, ok
        if kind == "email":
            value = series.str.strip_chars().str.to_lowercase().str.strip_prefix("mailto:")
            good = (
                (value.str.len_chars() <= 254)
                & value.str.contains(_EMAIL)
                & ~value.str.contains("..", literal=True)
            )
            return value, value.is_null() | good
        if kind == "datetime" and not self.options.date_formats:
            return self._datetime(series, spec)
        if kind in ("decimal", "float") and self.options.decimal_mark != ",":
            plain = series.str.strip_chars().str.contains(r"^-?\d{1,13}(\.\d{1,6})?$")
            return self._with_fallback(series, spec, plain, series.str.strip_chars())
        if kind == "int":
            # 9 digits: inside COUNT_MAX (tandem.bounds); longer ones are range-checked one by one
            plain = series.str.strip_chars().str.contains(r"^-?\d{1,9}$")
            return self._with_fallback(series, spec, plain, series.str.strip_chars())
        return self._by_value(series, spec)

    def _with_fallback(
        self, series: pl.Series, spec: Field, plain: pl.Series, text: pl.Series
    ) -> tuple[pl.Series, pl.Series]:
        dtype = DTYPES[spec.type]
        fast = (
            pl.DataFrame({"t": text, "p": plain})
            .select(pl.when(pl.col("p")).then(pl.col("t").cast(dtype, strict=False)))
            .to_series()
        )
        rest = series.zip_with(~plain.fill_null(False), pl.Series([None], dtype=pl.String))
        slow, ok = self._by_value(rest, spec)
        value = fast.fill_null(slow)
        if spec.non_negative:  # the fast path's numbers are inside the range otherwise
            ok = ok & ~(value < 0).fill_null(False)
        return value.alias(spec.name), ok

    def _datetime(self, series: pl.Series, spec: Field) -> tuple[pl.Series, pl.Series]:
        text = series.str.strip_chars()
        frame = pl.DataFrame({"t": text})
        epoch10 = pl.col("t").str.contains(r"^\d{10}$")
        epoch13 = pl.col("t").str.contains(r"^\d{13}$")
        parts = pl.col("t").str.extract_groups(_ISO)
        fast = frame.select(
            pl.when(epoch10)
            .then(pl.col("t").cast(pl.Int64, strict=False) * 1_000_000)
            .when(epoch13 & (pl.col("t").cast(pl.Int64, strict=False) < _EPOCH_MS_EXACT))
            .then(pl.col("t").cast(pl.Int64, strict=False) * 1_000)
            .alias("epoch"),
            parts.alias("iso"),
        ).unnest("iso")
        groups = fast.columns[1:]
        day, hour, minute, second, fraction, offset = (pl.col(g) for g in groups)
        date = day.str.to_date("%Y-%m-%d", strict=False)
        micros = (
            fraction.str.pad_end(6, "0").cast(pl.Int64, strict=False).fill_null(0)
            + second.cast(pl.Int64, strict=False).fill_null(0) * 1_000_000
            + minute.cast(pl.Int64, strict=False).fill_null(0) * 60_000_000
            + hour.cast(pl.Int64, strict=False).fill_null(0) * 3_600_000_000
        )
        shift = (
            pl.when(offset.is_null() | (offset == "Z"))
            .then(0)
            .otherwise(
                (offset.str.slice(1, 2).cast(pl.Int64, strict=False) * 60
                 + offset.str.slice(4, 2).cast(pl.Int64, strict=False))
                * pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
            )
            * 60_000_000
        )  # fmt: skip
        iso = pl.when(date.dt.year().is_between(1900, 2200)).then(
            date.cast(pl.Datetime("us")).dt.epoch("us") + micros - shift
        )
        value = fast.select(
            pl.coalesce(pl.col("epoch"), iso).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        ).to_series()
        rest = series.zip_with(value.is_null(), pl.Series([None], dtype=pl.String))
        slow, ok = self._by_value(rest, spec)
        return value.fill_null(slow).alias(spec.name), ok

    def _by_value(self, series: pl.Series, spec: Field) -> tuple[pl.Series, pl.Series]:
        """Each distinct value parsed once by the row path's parser."""
        parse: Callable[[Any], Any] = lambda x: PARSERS[spec.type](x, spec, self.options)  # noqa: E731
        dtype = DTYPES.get(spec.type, pl.String())
        if series.null_count() == series.len():  # the fast path took every value (usual)
            nothing = pl.Series(spec.name, [None] * series.len(), dtype=dtype)
            return nothing, pl.repeat(True, series.len(), eager=True)
        uniq = series.drop_nulls().unique()
        parsed, good = [], []
        for x in uniq.to_list():
            try:
                value = parse(x)
                if out_of_range(value, spec.type, spec.non_negative):
                    raise ValueError("out of range")
            except (ValueError, ArithmeticError):
                value, ok = None, False
            else:
                value, ok = (float(value) if spec.type == "decimal" else value), True
            parsed.append(value)
            good.append(ok)
        lookup = pl.DataFrame(
            {
                "k": uniq,
                "v": pl.Series(parsed, dtype=dtype),
                "ok": pl.Series(good, dtype=pl.Boolean),
            }
        )
        joined = series.to_frame("k").join(lookup, on="k", how="left", maintain_order="left")
        return joined["v"].alias(spec.name), joined["ok"].fill_null(True)


def _stripped(cell: pl.Expr) -> pl.Expr:
    text = cell.str.strip_chars()
    return pl.when(text.str.len_bytes() > 0).then(text)


def _template(text: str, last: dict[str, int]) -> Callable[[pl.DataFrame], pl.Series]:
    """`"{mql_id}@leads.invalid"` from the row's (trimmed) cells; null when one is empty."""
    pieces: list[pl.Expr] = []
    position = 0
    missing = False
    for match in re.finditer(r"\{([^{}]+)\}", text):
        if match.start() > position:
            pieces.append(pl.lit(text[position : match.start()]))
        index = last.get(header_key(match.group(1)))
        if index is None:
            missing = True
        else:
            pieces.append(pl.col(column(index)))
        position = match.end()
    if position < len(text):
        pieces.append(pl.lit(text[position:]))

    def fill(frame: pl.DataFrame) -> pl.Series:
        if missing:
            return pl.Series([None] * frame.height, dtype=pl.String)
        if not pieces:
            return pl.Series([text] * frame.height, dtype=pl.String)
        return frame.select(pl.concat_str(pieces)).to_series()

    return fill


DUCKDB_HASH_AT = 20_000  # keys to derive from which DuckDB hashes them (`sha256_keys`)


def derive(kind: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Facts implied by others (`rows._derive`): an activity's idempotency key."""
    if kind != "activities" or LINE not in frame.columns:
        return frame
    if "idempotency_key" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("idempotency_key"))
    missing = frame["idempotency_key"].is_null()
    if not missing.any():
        return frame
    text = frame.select(_opt(frame, "source"), _contact(frame), pl.col("type"),
                        _isoformat(pl.col("occurred_at")), _opt(frame, "url"),
                        _opt(frame, "campaign"))  # fmt: skip
    joined = text.select(pl.concat_str(pl.all(), separator="\x1f")).to_series()
    keys = sha256_keys(joined.zip_with(missing, pl.Series([None], dtype=pl.String)))
    return frame.with_columns(pl.col("idempotency_key").fill_null(keys))


def sha256_keys(texts: pl.Series) -> pl.Series:
    """`"h:" + sha256(text).hexdigest()` of each text (null stays null), computed by DuckDB in
    one vectorised pass outside the GIL: hashlib one by one took a fifth of a big import's
    validation, holding the GIL the writer's thread needs."""
    if texts.len() < DUCKDB_HASH_AT:  # an API batch: a DuckDB connection costs more
        return pl.Series(
            [None if t is None else "h:" + hashlib.sha256(t.encode()).hexdigest() for t in texts],
            dtype=pl.String,
        )
    with duckdb.connect() as db:  # keeps the rows' order (preserve_insertion_order)
        db.register("texts", texts.alias("s").to_frame().to_arrow())
        out = db.sql("SELECT 'h:' || sha256(s) AS k FROM texts").pl()
    return out["k"].cast(pl.String)


def _opt(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit("").alias(name)
    return pl.col(name).fill_null("")


def _contact(frame: pl.DataFrame) -> pl.Expr:
    email = pl.col("contact_email") if "contact_email" in frame.columns else pl.lit(None, pl.String)
    ext = _opt(frame, "contact_external_id")
    return pl.coalesce(email, pl.lit("ext:") + ext).alias("contact")


def _isoformat(moment: pl.Expr) -> pl.Expr:
    """`datetime.isoformat()` of aware UTC values (microseconds only when not zero)."""
    whole = moment.dt.strftime("%Y-%m-%dT%H:%M:%S")
    micro = moment.dt.microsecond()
    return (
        pl.when(micro == 0)
        .then(whole)
        .otherwise(whole + "." + micro.cast(pl.String).str.pad_start(6, "0"))
        + "+00:00"
    ).alias("occurred_at")


def dedupe_keys(kind: Kind, frame: pl.DataFrame) -> pl.Series:
    """`Kind.key_of` of every record (text keys only): the in-file duplicate check's key."""
    out = pl.Series("key", [None] * frame.height, dtype=pl.String)
    for key in reversed(kind.keys):
        if not all(name in frame.columns for name in key):
            continue
        parts = [pl.col(name).cast(pl.String).str.to_lowercase() for name in key]
        this = frame.select(pl.concat_str([pl.lit("|".join(key)), *parts], separator="|"))
        out = this.to_series().fill_null(out).alias("key")
    return out


def records(frame: pl.DataFrame, prefix: str | None) -> list[tuple[int, dict[str, Any]]]:
    """The frame's rows as the row path's (line, record) items (absent values left out)."""
    out = []
    for row in frame.iter_rows(named=True):
        line = row.pop(LINE)
        record: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for name, value in row.items():
            if value is None:
                continue
            if prefix and name.startswith(prefix + "."):
                custom[name.split(".", 1)[1]] = value
            else:
                record[name] = value
        if custom:
            record["custom"] = custom
        out.append((line, record))
    return out


__all__ = ["FrameMapper", "Mapped", "dedupe_keys", "derive", "records", "supported", "v"]
