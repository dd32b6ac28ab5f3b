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


#: What the report calls one and several of a kind's records.
NOUNS = {"opportunities": ("deal", "deals"), "accounts": ("account", "accounts"),
         "contacts": ("contact", "contacts"), "activities": ("activity", "activities"),
         "campaigns": ("campaign", "campaigns"), "assets": ("asset", "assets"),
         "usage": ("usage fact", "usage facts"),
         "user_usage": ("user usage fact", "user usage facts"),
         "entitlements": ("entitlement", "entitlements"),
         "subscriptions": ("subscription event", "subscription events")}  # fmt: skip


def _counted(rows: int, kind: str) -> tuple[str, str]:
    """`842 deals`, `have` (or `1 deal`, `has`)."""
    one, many = NOUNS.get(kind, (kind, kind))
    return (f"1 {one}", "has") if rows == 1 else (f"{rows:,} {many}", "have")


def note_lines(job: dict[str, Any]) -> list[str]:
    """Each note once, with how many rows it concerns and the first line. Counts of unknown
    and derived values come first, as sentences: `842 deals have no creation date in the file:
    left unknown (first at line 2)`, `842 deals dated by their first contact (profile rule
    created_at from first_contact_date; first at line 2)`."""
    notes = job.get("notes") or []
    out = []
    for note in notes:
        where = f"first at line {note['line']}"
        records, have = _counted(note["rows"], job["kind"])
        if note.get("status") == "unknown":
            out.append(f"{records} {have} {note['note']}: left unknown ({where})")
        elif note.get("status") == "derived":
            rule = f"profile rule {note['field']} from {note['source']}"
            out.append(f"{records} {note['note']} ({rule}; {where})")
    for note in notes:
        if note.get("status") is None:
            # Line 0: a note about the job as a whole (links made for earlier imports).
            at = f", first at line {note['line']}" if note["line"] else ""
            rows = f" ({note['rows']:,} rows{at})" if note["rows"] else ""
            out.append(f"note: {note['note']}{rows}")
    return out


def value_counts(job: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Rows per field left unknown and filled by a profile rule: `{"unknown": {"created_at":
    842}, "derived": {}}` (the job's JSON carries it)."""
    out: dict[str, dict[str, int]] = {"unknown": {}, "derived": {}}
    for note in job.get("notes") or []:
        if note.get("status") in out:
            out[note["status"]][note["field"]] = note["rows"]
    return out


def error_line(file_name: str, error: dict[str, Any]) -> str:
    """`leads.csv:17: email: not a valid email address ('bob@')`."""
    field = f"{error['field']}: " if error.get("field") else ""
    value = f" ({error['value']!r})" if error.get("value") not in (None, "") else ""
    return f"{file_name}:{error['line']}: {field}{error['reason']}{value}"
