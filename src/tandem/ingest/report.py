"""The import report as text lines: one summary, the notes, then one line per problem. Pure."""

from typing import Any


def summary(job: dict[str, Any]) -> str:
    """`job 3 contacts from leads.csv (hubspot): done: 1,000 rows: 990 new, ...`."""
    counts = (
        f"{job['rows_total']:,} rows: {job['rows_new']:,} new, {job['rows_updated']:,} updated, "
        f"{job['rows_unchanged']:,} unchanged, {job['rows_quarantined']:,} quarantined"
    )
    status = job["status"] + (f" ({job['message']})" if job.get("message") else "")
    what = f"job {job['id']} {job['kind']} from {job['file_name']} ({job['profile']})"
    return f"{what}: {status}: {counts}"


def note_lines(job: dict[str, Any]) -> list[str]:
    """Each note once, with how many rows it concerns and the first line."""
    out = []
    for note in job.get("notes") or []:
        # Line 0: a note about the job as a whole (links made for earlier imports).
        at = f", first at line {note['line']}" if note["line"] else ""
        rows = f" ({note['rows']:,} rows{at})" if note["rows"] else ""
        out.append(f"note: {note['note']}{rows}")
    return out


def error_line(file_name: str, error: dict[str, Any]) -> str:
    """`leads.csv:17: email: not a valid email address ('bob@')`."""
    field = f"{error['field']}: " if error.get("field") else ""
    value = f" ({error['value']!r})" if error.get("value") not in (None, "") else ""
    return f"{file_name}:{error['line']}: {field}{error['reason']}{value}"
