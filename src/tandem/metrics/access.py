"""Who may read metrics: everyone signed in (the lists show what their role may open)."""

from tandem.auth.permissions import Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/metrics"): allow(),
    ("GET", "/metrics/{metric}"): allow(),
    ("GET", "/metrics/{metric}/records"): allow(),
    ("GET", "/metrics/{metric}/records.csv"): allow(),
    ("GET", "/api/v1/metrics"): allow(),
    ("GET", "/api/v1/metrics/{metric}"): allow(),
    ("GET", "/api/v1/metrics/{metric}/records"): allow(),
}
