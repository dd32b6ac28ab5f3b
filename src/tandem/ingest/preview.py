"""What an import would do, before it commits: encoding, delimiter, column mapping, the first
rows as records or errors. Reads the file only; writes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from tandem.ingest import csvfile
from tandem.ingest.fields import get_kind
from tandem.ingest.mapping import Mapping
from tandem.ingest.rows import RowMapper, plan_columns


@dataclass
class Preview:
    """The view-model of the upload page's preview step."""

    encoding: str = ""
    delimiter: str = ""
    columns: list[tuple[str, str]] = field(default_factory=list)  # (column, field or "")
    unknown: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict[str, Any], list[str]]] = field(default_factory=list)
    problem: str | None = None


def preview(path: str | Path, kind: str, mapping: Mapping, limit: int = 10) -> Preview:
    """The mapping and first `limit` rows of `path` as `kind`; `problem` when it is unreadable."""
    try:
        info = csvfile.inspect_file(path, mapping.encoding, mapping.delimiter)
    except (csvfile.NotCsv, OSError) as exc:
        return Preview(problem=str(exc))
    reader = csvfile.records(info)
    header = next(reader)[1]
    spec = get_kind(kind)
    plan = plan_columns(header, mapping, spec)
    by_index = {i: name for name, indexes in plan.sources.items() for i in indexes}
    mapper = RowMapper(spec, mapping, plan)
    for name, index in mapper.rules.items():  # a rule's column fills its field where empty
        by_index.setdefault(index, f"{name} where empty ({mapping.derive[name].reason})")
    out = Preview(
        encoding=info.encoding,
        delimiter={"\t": "tab"}.get(info.delimiter, info.delimiter),
        columns=[(column, by_index.get(i, "")) for i, column in enumerate(header)],
        unknown=list(plan.unknown),
        missing=list(plan.missing),
        notes=list(info.notes),
    )
    names: dict[str, None] = {}
    for line, values in islice(reader, limit):
        record, errors = mapper(line, values)
        if record is None and len(values) == len(header):
            record = mapper.raw_values(values)
        shown = record or {}
        if "derived" in shown:  # which rule filled what, as the report words it
            shown = shown | {"derived": {n: r.reason for n, r in shown["derived"].items()}}
        names.update(dict.fromkeys(shown))
        out.rows.append((line, shown, [str(e) for e in errors]))
    out.fields = list(names)
    return out
