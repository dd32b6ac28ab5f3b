"""Who may read, propose and decide definitions: the sales managers and admins who agree on
routing and SLA (the service checks which of the two may decide each proposal)."""

from tandem.auth.permissions import SM, A, Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/admin/{kind}"): allow(A, SM),
    ("POST", "/admin/{kind}/proposals"): allow(A, SM),
    ("POST", "/admin/{kind}/versions/{version_id}/{decision}"): allow(A, SM),
    ("GET", "/api/v1/definitions/{kind}"): allow(A, SM),
    ("POST", "/api/v1/definitions/{kind}"): allow(A, SM),
    ("POST", "/api/v1/definitions/{kind}/versions/{version_id}/{decision}"): allow(A, SM),
}
