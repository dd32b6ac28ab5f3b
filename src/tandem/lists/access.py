"""Who may use the lists. Every role reads them (each list shows only the rows the viewer may
open); bulk changes are for the roles that work records, checked again per row."""

from tandem.auth.permissions import SM, A, M, R, Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/contacts"): allow(),
    ("GET", "/accounts"): allow(),
    ("GET", "/opportunities"): allow(),
    ("GET", "/leads"): allow(),
    ("GET", "/lists/{list_name}/export.csv"): allow(),
    ("POST", "/lists/{list_name}/bulk"): allow(A, SM, R, M),
    ("POST", "/views"): allow(),
    ("POST", "/views/{view_id}/delete"): allow(),
    ("GET", "/api/v1/lists/{list_name}"): allow(),
    ("GET", "/api/v1/views"): allow(),
    ("POST", "/api/v1/views"): allow(),
    ("DELETE", "/api/v1/views/{view_id}"): allow(),
}
