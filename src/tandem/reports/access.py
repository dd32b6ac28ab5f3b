"""Who may read the weekly review."""

from tandem.auth.permissions import Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    # The weekly review: for all.
    ("GET", "/reports/weekly"): allow(),
    ("GET", "/reports/weekly.pdf"): allow(),
    ("GET", "/api/v1/reports/weekly"): allow(),
}
