"""Who may read, propose and approve scoring models."""

from tandem.auth.permissions import CONTACT, SM, A, E, M, Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    # Scoring: marketing and sales managers propose and approve (the other team's proposals).
    ("GET", "/scoring"): allow(),
    ("GET", "/api/v1/scoring"): allow(),
    ("GET", "/scoring/versions/{version_id}"): allow(),
    ("GET", "/api/v1/scoring/versions/{version_id}"): allow(),
    ("POST", "/scoring/proposals"): allow(M, SM),
    ("POST", "/api/v1/scoring/versions"): allow(M, SM),
    ("POST", "/scoring/versions/{version_id}/approve"): allow(M, SM),
    ("POST", "/api/v1/scoring/versions/{version_id}/approve"): allow(M, SM),
    ("POST", "/scoring/versions/{version_id}/reject"): allow(M, SM),
    ("POST", "/api/v1/scoring/versions/{version_id}/reject"): allow(M, SM),
    ("GET", "/api/v1/scoring/contacts/{contact_id}"): allow(owns=CONTACT),
    ("GET", "/scoring/backtest"): allow(A, M, SM, E),
    ("GET", "/api/v1/scoring/backtest"): allow(A, M, SM, E),
}
