"""One row in, one record (or the reasons it is rejected) out. Pure: no I/O, no clock.

CSV rows go through `ColumnPlan` (which column feeds which field) and `RowMapper` (value maps,
defaults) to a dict of raw values; API items are such dicts already. Both then meet in
`validate_record`, so a CSV import and an API call accept and reject exactly the same values.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tandem.activities import types as activity_types
from tandem.bounds import out_of_range
from tandem.ingest import values as v
from tandem.ingest.fields import ID_SEPARATOR, Field, Kind, split_ids
from tandem.ingest.mapping import Mapping, header_key

INTERNAL_PREFIX = "_tandem_"  # columns we add to exported quarantine files (e.g. _tandem_line)


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row (or one of its fields) was not imported: line, field, offending value, reason."""

    line: int
    field: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        shown = f" ({self.value!r})" if self.value not in (None, "") else ""
        return f"{where}: {self.reason}{shown}"


@dataclass(frozen=True, slots=True)
class Options:
    """Parsing options a mapping sets for its whole file."""

    date_formats: tuple[str, ...] = ()
    decimal_mark: str | None = None


Parser = Callable[[Any, Field, Options], Any]
NUL_REASON = "contains a NUL character"
#: Per kind, the fields stored as null when a record has no value, and the reason kept with the
#: record and counted in the import report ("842 deals have no creation date in the file").
UNKNOWN_REASONS = {
    "opportunities": {
        "created_at": "no creation date in the file",
        "amount": "no value in the file",
    },
}


def _text(value: Any, f: Field, o: Options) -> str:
    if isinstance(value, dict | list):
        raise ValueError("expected text")
    return v.text(str(value), f.max_length)


def _ids(value: Any, f: Field, o: Options) -> str:
    # Kept as text (`a;b`), so both paths and every key treat it as a plain value.
    parts = split_ids(_text(value, Field(f.name), o))
    if not parts:
        raise ValueError("no id")
    if f.max_length and any(len(p) > f.max_length for p in parts):
        raise ValueError(f"an id is longer than {f.max_length} characters")
    return ID_SEPARATOR.join(parts)


def _tags(value: Any, f: Field, o: Options) -> list[str]:
    # Several keys in one cell (`a;b` or `a, b`), each folded like a choice; a JSON list works.
    items = value if isinstance(value, list) else re.split(r"[;,|]", str(value))
    tags = [v.snake(str(item)) for item in items if str(item).strip()]
    if f.max_length and any(len(t) > f.max_length for t in tags):
        raise ValueError(f"a value is longer than {f.max_length} characters")
    return list(dict.fromkeys(tags))


def _list(value: Any, f: Field, o: Options) -> list[str]:
    # Several names in one cell (`a;b`), kept as written (products, not keys).
    items = value if isinstance(value, list) else re.split(r"[;|]", str(value))
    names = [v.text(str(item), f.max_length) for item in items if str(item).strip()]
    return list(dict.fromkeys(names))


def _choice(value: Any, f: Field, o: Options) -> str:
    folded = v.snake(str(value))
    if folded not in f.choices:
        raise ValueError(f"not one of {', '.join(f.choices)}")
    return folded


def _activity_type(value: Any, f: Field, o: Options) -> str:
    folded = v.snake(str(value))
    if not activity_types.is_known(folded):
        known = ", ".join(t.key for t in activity_types.all_types())
        raise ValueError(f"unknown activity type (known: {known})")
    return folded


PARSERS: dict[str, Parser] = {
    "text": _text,
    "email": lambda x, f, o: v.email(str(x)),
    "domain": lambda x, f, o: v.domain(str(x)),
    "country": lambda x, f, o: v.country(str(x)),
    "decimal": lambda x, f, o: v.decimal(x, o.decimal_mark),
    "int": lambda x, f, o: v.integer(x),
    "float": lambda x, f, o: v.number(x),
    "bool": lambda x, f, o: v.boolean(x),
    "date": lambda x, f, o: v.parse_date(x, o.date_formats),
    "datetime": lambda x, f, o: v.parse_datetime(x, o.date_formats),
    "ids": _ids,
    "choice": _choice,
    "tags": _tags,
    "list": _list,
    "activity_type": _activity_type,
}


def validate_record(
    kind: Kind, raw: dict[str, Any], line: int, options: Options = Options()
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """Typed record from raw field values, or every reason it cannot be imported.

    Empty values count as absent. `<prefix>.<name>` values are gathered into `custom`.
    """
    record: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    errors: list[RowError] = []
    for name, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, str) and "\x00" in value:  # no backend column keeps it the same
            errors.append(RowError(line, name, _shown(value.replace("\x00", "\\0")), NUL_REASON))
            continue
        spec = kind.fields.get(name)
        if spec is None:
            if kind.accepts(name):
                extra[name.split(".", 1)[1]] = value.strip() if isinstance(value, str) else value
            else:
                errors.append(RowError(line, name, _shown(value), "unknown field"))
            continue
        try:
            parsed = PARSERS[spec.type](value, spec, options)
        except (ValueError, ArithmeticError) as exc:
            errors.append(RowError(line, name, _shown(value), str(exc)))
            continue
        if problem := out_of_range(parsed, spec.type, spec.non_negative):
            errors.append(RowError(line, name, _shown(value), problem))
            continue
        record[name] = parsed
    for group in kind.required:
        if not any(name in record for name in group) and not any(e.field in group for e in errors):
            errors.append(RowError(line, " or ".join(group), None, "required value is missing"))
    if errors:
        return None, errors
    if extra:
        record["custom"] = extra
    _derive(kind.name, record)
    return record, []


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _derive(kind: str, record: dict[str, Any]) -> None:
    # Facts implied by others, so every adapter gets the same answer.
    if kind == "activities" and "idempotency_key" not in record:
        record["idempotency_key"] = activity_key(record)
    elif kind == "opportunities":
        record["is_closed"] = record["stage"] in ("closed_won", "closed_lost")
        record["is_won"] = record["stage"] == "closed_won"
        if record["is_closed"] and "closed_at" not in record and "expected_close_on" in record:
            # CRM exports have one "Close Date": the expected date while open, the actual one after.
            close = record["expected_close_on"]
            record["closed_at"] = datetime(close.year, close.month, close.day, tzinfo=UTC)
    if kind in UNKNOWN_REASONS:
        # What the record does not say stays unknown (stored as null), with the reason.
        record["unknown"] = {
            name: reason for name, reason in UNKNOWN_REASONS[kind].items() if name not in record
        }
    elif kind == "usage":
        record.setdefault("period", "month")
    elif kind == "user_usage":
        record.setdefault("period", "day")


def activity_key(record: dict[str, Any]) -> str:
    """A stable idempotency key from an activity's content, for clients that send none:
    sha256 of source, contact, type, time, url and campaign (the same touch twice -> one key)."""
    contact = record.get("contact_email") or f"ext:{record.get('contact_external_id', '')}"
    occurred: datetime = record["occurred_at"]
    parts = (
        record.get("source") or "",
        contact,
        record["type"],
        occurred.isoformat(),
        record.get("url") or "",
        record.get("campaign") or "",
    )
    return "h:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class SlashedDates:
    """The first line of each reading of the file's slashed dates (`values.slashed_order`), to
    say when dates read month first sit in a file that writes the day first."""

    def __init__(self) -> None:
        self.first: dict[str, int] = {}

    def add(self, order: str | None, line: int) -> None:
        if order is not None:
            self.first[order] = min(line, self.first.get(order, line))

    def merge(self, other: SlashedDates) -> None:
        for order, line in other.first.items():
            self.add(order, line)

    def note(self) -> tuple[str, int] | None:
        """The report's note and its line, when the file's slashed dates disagree."""
        day = self.first.get("day")
        month_first = [o for o in ("either", "month") if o in self.first]
        if day is None or not month_first:
            return None
        line = min(self.first[o] for o in month_first)
        return (
            f"slashed dates read month first (line {line}) in a file with a day-first date "
            f"(line {day}): if the file writes the day first, import it again with "
            "date_formats: ['%d/%m/%Y'] in the mapping",
            line,
        )


@dataclass(frozen=True)
class ColumnPlan:
    """Where each field's value comes from in a file with a given header."""

    header: tuple[str, ...]
    sources: dict[str, tuple[int, ...]]
    unknown: tuple[str, ...]
    internal: dict[str, int]
    missing: tuple[str, ...]
    duplicates: tuple[str, ...]
    unused_rules: tuple[str, ...] = ()  # derive rules whose column the file does not have


def plan_columns(header: list[str], mapping: Mapping, kind: Kind) -> ColumnPlan:
    """Match the header against the mapping (then, if `auto`, against field names)."""
    by_key = {header_key(col): field for col, field in mapping.columns.items()}
    # Columns a derive rule reads are used, not ignored and not unknown.
    ignored = {header_key(col) for col in [*mapping.ignore, *_rule_columns(mapping)]}
    sources: dict[str, list[int]] = {}
    unknown: list[str] = []
    internal: dict[str, int] = {}
    seen: set[str] = set()
    duplicates: list[str] = []
    for index, name in enumerate(header):
        key = header_key(name)
        if key in seen:
            duplicates.append(name)
            continue
        seen.add(key)
        if key.startswith(INTERNAL_PREFIX):
            internal[key.removeprefix(INTERNAL_PREFIX)] = index
        elif key in by_key:
            sources.setdefault(by_key[key], []).append(index)
        elif mapping.auto and kind.accepts(v.snake(key)) and v.snake(key) not in by_key.values():
            sources.setdefault(v.snake(key), []).append(index)
        elif key not in ignored:
            unknown.append(name)
    missing = []
    for group in kind.required:
        given = {*sources, *mapping.defaults, *mapping.templates}
        if not any(name in given for name in group):
            wanted = [col for col, field in mapping.columns.items() if field in group]
            hint = ", ".join(repr(c) for c in (wanted or list(group)))
            missing.append(f"{' or '.join(group)} (expected a column named {hint})")
    present = {header_key(name) for name in header}
    unused = tuple(
        f"{name} from {rule.source}"
        for name, rule in mapping.derive.items()
        if header_key(rule.source) not in present
    )
    return ColumnPlan(
        header=tuple(header),
        sources={k: tuple(idx) for k, idx in sources.items()},
        unknown=tuple(unknown),
        internal=internal,
        missing=tuple(missing),
        duplicates=tuple(duplicates),
        unused_rules=unused,
    )


def _rule_columns(mapping: Mapping) -> list[str]:
    return [rule.source for rule in mapping.derive.values()]


class RowMapper:
    """Turns one CSV record (its values and first line) into a validated record."""

    def __init__(self, kind: Kind, mapping: Mapping, plan: ColumnPlan) -> None:
        self.kind = kind
        self.plan = plan
        self.mapping = mapping
        self.options = Options(tuple(mapping.date_formats), mapping.decimal_mark)
        # Value maps compare like headers: `Marketing Qualified Lead` == `marketing qualified lead`.
        self.value_maps = {
            field: {header_key(str(k)): val for k, val in table.items()}
            for field, table in mapping.values.items()
        }
        self.slashed = SlashedDates()
        # Without the mapping's own formats, slashed date fields are watched for `slashed`.
        self.dated = (
            ()
            if mapping.date_formats
            else tuple(
                name for name, spec in kind.fields.items() if spec.type in ("date", "datetime")
            )
        )
        at = {header_key(h): i for i, h in enumerate(plan.header)}
        self.rules = {
            field: at[header_key(rule.source)]
            for field, rule in mapping.derive.items()
            if header_key(rule.source) in at
        }

    def raw_values(self, values: list[str], derived: set[str] | None = None) -> dict[str, Any]:
        """Field -> raw value after normalisation, value maps, derive rules and defaults (no
        parsing); the fields a derive rule filled are added to `derived`."""
        raw: dict[str, Any] = {}
        for field, indexes in self.plan.sources.items():
            value = next((values[i].strip() for i in indexes if values[i].strip()), "")
            if value and field in self.mapping.normalize:
                value = _normalise(value, self.mapping.normalize[field])
            table = self.value_maps.get(field)
            if table is not None and value:
                value = table.get(header_key(value), value)
            if value not in ("", None):
                raw[field] = value
        if self.mapping.templates:
            columns = {header_key(h): values[i].strip() for i, h in enumerate(self.plan.header)}
            for field, template in self.mapping.templates.items():
                filled = _fill(template, columns)
                if filled is not None:
                    raw.setdefault(field, filled)
        for field, index in self.rules.items():
            if field not in raw and values[index].strip():
                raw[field] = values[index].strip()
                if derived is not None:
                    derived.add(field)
        for field, default in self.mapping.defaults.items():
            raw.setdefault(field, default)
        return raw

    def __call__(
        self, line: int, values: list[str]
    ) -> tuple[dict[str, Any] | None, list[RowError]]:
        width = len(self.plan.header)
        if len(values) != width:
            shown = ",".join(values)[:200]
            reason = f"has {len(values)} fields, the header has {width}"
            return None, [RowError(line, None, shown, reason)]
        derived: set[str] = set()
        raw = self.raw_values(values, derived)
        for name in self.dated:
            if isinstance(raw.get(name), str):
                self.slashed.add(v.slashed_order(raw[name]), line)
        record, errors = validate_record(self.kind, raw, line, self.options)
        if record is not None and self.mapping.scale:
            for field, factor in self.mapping.scale.items():
                if field in record:
                    record[field] = _scaled(record[field], factor)
        if record is not None and derived:
            # Which profile rule filled what: the writer counts them for the report.
            record["derived"] = {field: self.mapping.derive[field] for field in sorted(derived)}
        return record, errors


def _fill(template: str, columns: dict[str, str]) -> str | None:
    """`"{mql_id}@leads.invalid"` with the row's values; None when a named column is empty."""
    names = re.findall(r"\{([^{}]+)\}", template)
    if any(not columns.get(header_key(n)) for n in names):
        return None
    return re.sub(r"\{([^{}]+)\}", lambda m: columns[header_key(m.group(1))], template)


def _normalise(value: str, how: str) -> str:
    return v.snake(value) if how == "snake" else value.lower() if how == "lower" else value.upper()


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, Decimal):
        return (value * Decimal(str(factor))).quantize(Decimal("0.01"))
    return type(value)(value * factor)
