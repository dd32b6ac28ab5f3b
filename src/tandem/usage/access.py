"""Who may read the customers' usage, health and signals: everyone signed in (one shared
scorecard); an account's section follows the account's own rule."""

from tandem.auth.permissions import Rule, allow

ACCOUNT = ("account", "account_id")

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/customers"): allow(),
    ("GET", "/customers/signals/{signal_id}"): allow(),
    ("GET", "/api/v1/customers"): allow(),
    ("GET", "/api/v1/usage/signals"): allow(),
    ("GET", "/api/v1/usage/signals/{signal_id}"): allow(),
    ("GET", "/api/v1/accounts/{account_id}/usage"): allow(owns=ACCOUNT),
}
