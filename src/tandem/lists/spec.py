"""What a list is made of, and how a list's URL is read: pure (no storage, no web).

A list (contacts, accounts, deals, leads) declares its fields once: each field's key, label
and kind. The same keys are the sort keys, the filter names and the column names, so a request
can only name fields in that whitelist; anything else is refused with the field named. Storage
(`tandem.lists.sources`) maps each key to a SQL expression; nothing from the request reaches
SQL except as a bound value.

The URL language: `sort=key` (ascending) or `sort=-key` (descending), `cols=a,b,c`,
`page=N`, `size=N`, `q=text` (the list's search), and per field `key=value` (repeat for any of
several values), `key_min` / `key_max` for numbers and `key_from` / `key_to` for dates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from urllib.parse import urlencode

#: Highest page number (the offset of the last page stays a small integer).
MAX_PAGE = 1_000_000
#: Most rows on one page (HTML and JSON).
MAX_SIZE = 500
DEFAULT_SIZE = 50
#: Longest text a filter or search takes.
MAX_TEXT = 200
#: Most values one filter takes (`stage=mql&stage=sal...`).
MAX_VALUES = 50
#: Numbers a range filter takes: finite and within this size.
NUMBER_LIMIT = 1e13
#: Dates a range filter takes.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)
#: Most rows a costly field is computed for, to sort or filter by it.
COSTLY_ROWS = 50_000
RESERVED = frozenset({"sort", "cols", "page", "size", "q"})


class Kind(StrEnum):
    """How a field is filtered and shown."""

    TEXT = "text"  # exact value(s)
    CHOICE = "choice"  # one of known values
    OWNER = "owner"  # a user, named by name ("none": unassigned, "me": the viewer)
    NUMBER = "number"  # a range
    DATE = "date"  # a range of days


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a list: a column, a sort key and a filter under one key."""

    key: str
    label: str
    kind: Kind
    choices: tuple[str, ...] = ()  # for CHOICE: the values a filter may name
    # Computed per row (no index holds it): sorted or filtered by only when the other filters
    # keep at most `COSTLY_ROWS` rows, so one request never reads a million rows' activities.
    costly: bool = False


@dataclass(frozen=True, slots=True)
class ListSpec:
    """One list: its fields, the columns shown when none are chosen, its default order."""

    name: str
    title: str
    path: str
    entity: str  # audit and export: contact, account, opportunity
    fields: tuple[Field, ...]
    default_columns: tuple[str, ...]
    default_sort: str  # a key, `-key` for descending
    stage_moves: bool = False  # rows are contacts: a bulk stage change applies
    record_path: str = ""  # where a row's name links (its id appended); "" for no link

    def field(self, key: str) -> Field | None:
        """The field named `key`, or None when the list has no such field."""
        return next((f for f in self.fields if f.key == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)


@dataclass(frozen=True, slots=True)
class Filter:
    """A filter on one field: `values` (any of) or a `low`..`high` range (either open)."""

    key: str
    values: tuple[str, ...] = ()
    low: float | date | None = None
    high: float | date | None = None


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A list request after validation: only whitelisted keys, bounded numbers."""

    filters: tuple[Filter, ...] = ()
    sort: str = ""
    desc: bool = False
    columns: tuple[str, ...] = ()
    page: int = 1
    size: int = DEFAULT_SIZE
    q: str = ""

    def params(self, *, page: int | None = None) -> list[tuple[str, str]]:
        """The query as URL parameters (what a saved view stores, what links carry)."""
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        for f in self.filters:
            out += [(f.key, v) for v in f.values]
            suffix = ("_from", "_to") if isinstance(f.low or f.high, date) else ("_min", "_max")
            for end, bound in zip(suffix, (f.low, f.high), strict=True):
                if bound is not None:
                    out.append((f.key + end, _text(bound)))
        out.append(("sort", ("-" if self.desc else "") + self.sort))
        out.append(("cols", ",".join(self.columns)))
        if self.size != DEFAULT_SIZE:
            out.append(("size", str(self.size)))
        if page is not None and page != 1:
            out.append(("page", str(page)))
        return out

    def url(self, path: str, *, page: int | None = None) -> str:
        """`path` with this query (and `page`)."""
        return f"{path}?{urlencode(self.params(page=page))}"


def _text(bound: float | date) -> str:
    if isinstance(bound, date):
        return bound.isoformat()
    return f"{bound:g}" if bound != int(bound) else str(int(bound))


@dataclass
class Parsed:
    """A parsed request: the valid query and, per field, why a part was refused."""

    query: ListQuery
    errors: dict[str, str] = field(default_factory=dict)


def _number(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or abs(value) > NUMBER_LIMIT:
        raise ValueError(f"must be a number between -{NUMBER_LIMIT:,.0f} and {NUMBER_LIMIT:,.0f}")
    return value


def _day(raw: str) -> date:
    value = date.fromisoformat(raw)
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"must be a day between {FIRST_DAY} and {LAST_DAY}")
    return value


def _bounded_int(raw: str, name: str, high: int) -> int:
    if not raw.isdigit() or len(raw) > 8 or not 1 <= int(raw) <= high:
        raise ValueError(f"{name} must be a whole number from 1 to {high:,}, not {raw[:40]!r}")
    return int(raw)


def _range(
    spec_field: Field, ends: dict[str, str], errors: dict[str, str]
) -> tuple[object, object] | None:
    read = _day if spec_field.kind is Kind.DATE else _number
    names = ("_from", "_to") if spec_field.kind is Kind.DATE else ("_min", "_max")
    bounds: list[object] = []
    for end in names:
        raw = ends.get(end, "").strip()
        try:
            bounds.append(read(raw) if raw else None)
        except ValueError as exc:
            why = str(exc) if "between" in str(exc) else f"{raw[:40]!r} is not a valid value"
            errors[spec_field.key + end] = why
            return None
    low, high = bounds
    if low is not None and high is not None and low > high:  # type: ignore[operator]
        errors[spec_field.key] = f"the range is empty: {_text(low)} is after {_text(high)}"  # type: ignore[arg-type]
        return None
    return (low, high) if (low, high) != (None, None) else None


def _values(spec_field: Field, raw: list[str], errors: dict[str, str]) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(v.strip() for v in raw if v.strip()))
    if len(values) > MAX_VALUES:
        errors[spec_field.key] = f"at most {MAX_VALUES} values"
        return ()
    if any(len(v) > MAX_TEXT for v in values):
        errors[spec_field.key] = f"a value longer than {MAX_TEXT} characters"
        return ()
    if spec_field.kind is Kind.CHOICE and spec_field.choices:
        wrong = [v for v in values if v not in spec_field.choices]
        if wrong:
            errors[spec_field.key] = f"{wrong[0][:40]!r} is not one of: " + ", ".join(
                spec_field.choices
            )
            return ()
    if spec_field.kind in (Kind.NUMBER, Kind.DATE) and values:
        errors[spec_field.key] = "filter this field with a range (_min/_max or _from/_to)"
        return ()
    return values


def _field_of(spec: ListSpec, name: str) -> tuple[Field | None, str]:
    for suffix in ("_min", "_max", "_from", "_to"):
        base = name.removesuffix(suffix)
        if base != name and (found := spec.field(base)) is not None:
            return found, suffix
    return spec.field(name), ""


def parse(spec: ListSpec, params: Iterable[tuple[str, str]]) -> Parsed:
    """Read a list request's parameters against `spec`; unknown names and bad values are
    reported per parameter and left out, so the page still shows (with the message)."""
    errors: dict[str, str] = {}
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    sort_key, desc = spec.default_sort.lstrip("-"), spec.default_sort.startswith("-")
    raw_sort = (grouped.pop("sort", [""])[-1] or "").strip()
    if raw_sort:
        if spec.field(raw_sort.lstrip("-")) is None:
            errors["sort"] = f"{raw_sort[:40]!r} is not a field of the {spec.title} list"
        else:
            sort_key, desc = raw_sort.lstrip("-"), raw_sort.startswith("-")
    columns = spec.default_columns
    raw_cols = ",".join(grouped.pop("cols", []))  # one comma list, or one value per box
    if raw_cols:
        chosen = tuple(dict.fromkeys(c.strip() for c in raw_cols.split(",") if c.strip()))
        unknown = [c for c in chosen if spec.field(c) is None]
        if unknown:
            errors["cols"] = f"{unknown[0][:40]!r} is not a field of the {spec.title} list"
        elif chosen:
            columns = chosen
    numbers = {"page": (1, MAX_PAGE), "size": (DEFAULT_SIZE, MAX_SIZE)}
    for name, (default, high) in numbers.items():
        raw = (grouped.pop(name, [""])[-1] or "").strip()
        try:
            numbers[name] = (_bounded_int(raw, name, high) if raw else default, high)
        except ValueError as exc:
            errors[name] = str(exc)
    q = " ".join(grouped.pop("q", [""])[-1].split())
    if len(q) > MAX_TEXT:
        errors["q"] = f"the search is longer than {MAX_TEXT} characters"
        q = ""
    filters = _filters(spec, grouped, errors)
    query = ListQuery(
        filters=filters,
        sort=sort_key,
        desc=desc,
        columns=columns,
        page=numbers["page"][0],
        size=numbers["size"][0],
        q=q,
    )
    return Parsed(query, errors)


def _filters(
    spec: ListSpec, grouped: Mapping[str, list[str]], errors: dict[str, str]
) -> tuple[Filter, ...]:
    plain: dict[str, list[str]] = {}
    ends: dict[str, dict[str, str]] = {}
    for name, raw in grouped.items():
        found, suffix = _field_of(spec, name)
        if found is None:
            errors[name[:40]] = f"{name[:40]!r} is not a field of the {spec.title} list"
        elif suffix and found.kind not in (Kind.NUMBER, Kind.DATE):
            errors[name] = f"{found.label} is not filtered by a range"
        elif suffix and (suffix in ("_from", "_to")) != (found.kind is Kind.DATE):
            low, high = ("_from", "_to") if found.kind is Kind.DATE else ("_min", "_max")
            errors[name] = f"{found.label} takes a range as {found.key}{low} and {found.key}{high}"
        elif suffix:
            ends.setdefault(found.key, {})[suffix] = raw[-1]
        else:
            plain[found.key] = raw
    out: list[Filter] = []
    for f in spec.fields:
        if f.key in plain and (values := _values(f, plain[f.key], errors)):
            out.append(Filter(f.key, values=values))
        if f.key in ends and (bounds := _range(f, ends[f.key], errors)):
            out.append(Filter(f.key, low=bounds[0], high=bounds[1]))  # type: ignore[arg-type]
    return tuple(out)


def pages(total: int, size: int) -> int:
    """How many pages `total` rows fill (at least one, so page 1 always exists)."""
    return max(1, math.ceil(total / size))


def shown_range(total: int, page: int, size: int) -> tuple[int, int]:
    """The first and last row number on `page` (1-based; (0, 0) when there are no rows)."""
    if total == 0:
        return 0, 0
    first = (page - 1) * size + 1
    return first, min(total, page * size)


def columns_of(spec: ListSpec, keys: Sequence[str]) -> list[Field]:
    """The fields for column keys, in the order given."""
    return [f for k in keys if (f := spec.field(k)) is not None]
