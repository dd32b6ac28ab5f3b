"""What the import pages add to the import itself: which kinds a role may import, the column
mapping chosen with a select per CSV column, and quarantined rows fixed cell by cell and
written as a retry file (the same `_tandem_line` file `tandem import errors --csv` writes, so
`jobs.retry_job` marks them resolved and nothing is stored twice)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping as MappingOf
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tandem.definitions.base import error
from tandem.ingest import csvfile
from tandem.ingest.fields import KINDS_ORDER, get_kind
from tandem.ingest.mapping import Mapping, MappingError
from tandem.ingest.rows import INTERNAL_PREFIX, plan_columns

#: What a marketer imports; admins import every kind.
MARKETER_KINDS = ("contacts", "activities", "campaigns")
IGNORE = ""  # the select's "(ignored)" choice
MAX_COLUMNS = 200  # columns a chosen mapping may name (a CSV export, not a data dump)
MAX_FIXES = 500  # quarantined rows listed on the job page
FORM_FIELDS = 900  # a form's fields the server parses (Starlette's limit is 1,000)


def kinds_for(role: str) -> tuple[str, ...]:
    """The kinds `role` may import."""
    return KINDS_ORDER if role == "admin" else MARKETER_KINDS


def field_names(kind: str) -> list[str]:
    """The fields a column of `kind` may feed, for the selects."""
    return list(get_kind(kind).fields)


def choose(base: Mapping, header: Sequence[str], choices: Sequence[str], kind: str) -> Mapping:
    """`base` with its columns replaced by the page's choice per column (in header order;
    `IGNORE` leaves a column out). MappingError naming the column when a choice is not a
    field of `kind` or one field is chosen for two columns."""
    if len(choices) != len(header) or len(header) > MAX_COLUMNS:
        issue = error(("columns",), f"choose a field for each of the {len(header)} columns")
        raise MappingError([issue])
    spec, issues = get_kind(kind), []
    columns: dict[str, str] = {}
    taken: dict[str, str] = {}
    for column, chosen in zip(header, choices, strict=True):
        if chosen == IGNORE or column.casefold().startswith(INTERNAL_PREFIX):
            continue
        if not spec.accepts(chosen):
            issues.append(error(("columns", column), f"{chosen!r} is not a {kind} field"))
        elif chosen in taken:
            message = f"{chosen} is chosen for both {taken[chosen]!r} and {column!r}"
            issues.append(error(("columns", column), message))
        else:
            columns[column], taken[chosen] = chosen, column
    if issues:
        raise MappingError(issues)
    ignored = [c for c, chosen in zip(header, choices, strict=True) if chosen == IGNORE]
    return base.model_copy(update={"columns": columns, "ignore": ignored, "auto": False})


def header_of(path: str | Path, mapping: Mapping) -> list[str]:
    """The CSV header of an upload."""
    info = csvfile.inspect_file(path, mapping.encoding, mapping.delimiter)
    return next(csvfile.records(info))[1]


@dataclass
class FixRow:
    """One quarantined line as the fix form shows it: its cells, and the reasons by column
    (`row` for a reason that names no column)."""

    line: int
    cells: list[str]
    reasons: dict[int | str, list[str]] = field(default_factory=dict)


def fix_rows(
    job: MappingOf[str, Any], errors: Sequence[MappingOf[str, Any]]
) -> tuple[list[str], list[FixRow]]:
    """The job's header and its unresolved quarantined lines with their cells (only rows kept
    raw: a line the reader could not split has nothing to edit)."""
    mapping = Mapping.model_validate(job["mapping"])
    header = header_of(job["file_path"], mapping)
    plan = plan_columns(header, mapping, get_kind(job["kind"]))
    by_line: dict[int, FixRow] = {}
    for item in errors:
        if item["resolved_by_job_id"] is not None or item["raw"] is None:
            continue
        cells = [*item["raw"], *[""] * len(header)][: len(header)]  # one cell per column
        row = by_line.setdefault(item["line"], FixRow(item["line"], cells))
        indexes = plan.sources.get(item["field"] or "", ())
        where: int | str = indexes[0] if indexes else "row"
        row.reasons.setdefault(where, []).append(f"{item['field'] or 'row'}: {item['reason']}")
    # As many rows as one form may carry, a cell a field; the rest after this batch is fixed.
    editable = max(1, FORM_FIELDS // (len(header) + 1))
    return header, [by_line[line] for line in sorted(by_line)][:editable]


def write_fixes(
    folder: Path, job_id: int, header: Sequence[str], fixed: Sequence[tuple[int, list[str]]]
) -> Path:
    """Write the corrected lines as a retry file (`_tandem_line` names each original line)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*header, f"{INTERNAL_PREFIX}line"])
    for line, cells in fixed:
        writer.writerow([*cells, str(line)])
    data = out.getvalue().encode()
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}-fixes-job{job_id}.csv"
    path.write_bytes(data)
    return path
