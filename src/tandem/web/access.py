"""Who may use the shell (sign-in, API docs, home) and the contact and account records."""

from tandem.auth.permissions import CONTACT, PUBLIC, Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    # The shell: sign-in, API docs, health.
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/api/v1/health"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/api/v1/me"): allow(),
    ("GET", "/"): allow(),
    ("GET", "/api/v1/scorecard"): allow(),
    # Everyone's own: notifications (the bell) and display settings.
    ("GET", "/notifications"): allow(),
    ("POST", "/notifications/read"): allow(),
    ("GET", "/settings"): allow(),
    ("POST", "/settings"): allow(),
    # Contacts and accounts: reps see their own and the unassigned ones (settings widen it).
    ("GET", "/api/v1/contacts"): allow(),
    ("GET", "/contacts/{contact_id}"): allow(owns=CONTACT),
    ("GET", "/api/v1/contacts/{contact_id}"): allow(owns=CONTACT),
    ("GET", "/accounts/{account_id}"): allow(owns=("account", "account_id")),
    ("GET", "/api/v1/accounts/{account_id}"): allow(owns=("account", "account_id")),
}
