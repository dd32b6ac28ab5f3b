"""Who may read the dashboards."""

from tandem.auth.permissions import Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    # Dashboards: for all.
    ("GET", "/analytics"): allow(),
    ("GET", "/analytics/{page}"): allow(),
    ("GET", "/api/v1/analytics/{page}"): allow(),
}
