"""Who may use the handoff: sales answers leads, managers see the board."""

from tandem.auth.permissions import CONTACT, SM, A, E, M, R, Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    # Handoff: only sales accepts or rejects, a lead the rep may read (whose queue it is in:
    # the service, 409); the board is for managers.
    ("GET", "/handoff"): allow(),
    ("GET", "/handoff/queue"): allow(R, SM),
    ("GET", "/api/v1/handoff/queue"): allow(R, SM),
    ("GET", "/handoff/leads/{contact_id}"): allow(owns=CONTACT),
    ("GET", "/api/v1/handoff/leads/{contact_id}"): allow(owns=CONTACT),
    ("POST", "/handoff/leads/{contact_id}/accept"): allow(R, SM, owns=CONTACT),
    ("POST", "/api/v1/handoff/leads/{contact_id}/accept"): allow(R, SM, owns=CONTACT),
    ("POST", "/handoff/leads/{contact_id}/reject"): allow(R, SM, owns=CONTACT),
    ("POST", "/api/v1/handoff/leads/{contact_id}/reject"): allow(R, SM, owns=CONTACT),
    ("GET", "/handoff/board"): allow(A, SM, E),
    ("GET", "/api/v1/handoff/board"): allow(A, SM, E),
    ("GET", "/handoff/reports"): allow(),
    ("GET", "/api/v1/handoff/reports/rejects"): allow(),
    ("GET", "/api/v1/handoff/commitments"): allow(),
    ("GET", "/handoff/routing"): allow(A, M, R, SM, owns=("contact", "contact")),
    ("GET", "/api/v1/handoff/routing/{contact_id}"): allow(A, M, R, SM, owns=CONTACT),
    ("GET", "/handoff/inbox"): allow(),
    ("GET", "/api/v1/handoff/inbox"): allow(),
    ("POST", "/handoff/inbox/read"): allow(),
    ("POST", "/api/v1/handoff/inbox/read"): allow(),
    ("POST", "/handoff/settings"): allow(),
    ("GET", "/api/v1/handoff/reps/{user_id}/settings"): allow(owns=("user", "user_id")),
    ("PUT", "/api/v1/handoff/reps/{user_id}/settings"): allow(owns=("user", "user_id")),
    # The routing and SLA editors' "test with this contact" (the definitions' two roles).
    ("POST", "/admin/routing/preview"): allow(A, SM),
    ("POST", "/admin/sla/preview"): allow(A, SM),
}
