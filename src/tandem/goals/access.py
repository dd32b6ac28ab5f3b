"""Who may read and set goals and quotas."""

from tandem.auth.permissions import SM, A, E, Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    # Goals and quotas: read by all, set by admins and managers.
    ("GET", "/goals"): allow(),
    ("GET", "/api/v1/goals"): allow(),
    ("POST", "/goals"): allow(A, SM, E),
    ("POST", "/api/v1/goals"): allow(A, SM, E),
    ("POST", "/goals/{goal_id}/delete"): allow(A, SM, E),
    ("DELETE", "/api/v1/goals/{goal_id}"): allow(A, SM, E),
}
