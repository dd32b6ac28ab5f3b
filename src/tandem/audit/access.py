"""Who may read the audit log."""

from tandem.auth.permissions import SM, A, Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    # The audit log: admins and sales managers.
    ("GET", "/audit"): allow(A, SM),
    ("GET", "/api/v1/audit"): allow(A, SM),
    ("GET", "/api/v1/audit/export.csv"): allow(A, SM),
}
