"""Who may use the accounts list, an account's ABM section and packet, and the ABM dashboard."""

from tandem.auth.permissions import SM, A, E, M, R, Rule, allow

ACCOUNT = ("account", "account_id")

RULES: dict[tuple[str, str], Rule] = {
    # The list filters itself to what the viewer may open (reps: their own and unassigned).
    ("GET", "/api/v1/accounts"): allow(),
    ("GET", "/accounts/{account_id}/abm"): allow(owns=ACCOUNT),
    ("GET", "/api/v1/accounts/{account_id}/abm"): allow(owns=ACCOUNT),
    ("GET", "/api/v1/accounts/{account_id}/packet"): allow(A, R, SM, E, owns=ACCOUNT),
    # Reps confirm or change roles on the committees of the accounts they may open.
    ("POST", "/accounts/{account_id}/committee"): allow(A, R, SM, M, owns=ACCOUNT),
    ("POST", "/api/v1/accounts/{account_id}/committee"): allow(A, R, SM, M, owns=ACCOUNT),
    ("GET", "/abm"): allow(A, M, SM, E),
    ("GET", "/api/v1/abm"): allow(A, M, SM, E),
}
