"""Who may read metrics: everyone signed in (the lists show what their role may open)."""

from tandem.auth.permissions import Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/metrics"): allow(),
    ("GET", "/metrics/{name}"): allow(),
    ("GET", "/metrics/{name}/records"): allow(),
    ("GET", "/metrics/{name}/records.csv"): allow(),
    ("GET", "/api/v1/metrics"): allow(),
    ("GET", "/api/v1/metrics/{name}"): allow(),
    ("GET", "/api/v1/metrics/{name}/records"): allow(),
}
