"""Who may manage webhooks: admins only (a webhook sends Tandem's data out)."""

from tandem.auth.permissions import A, Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/admin/webhooks"): allow(A),
    ("POST", "/admin/webhooks"): allow(A),
    ("POST", "/admin/webhooks/{webhook_id}/remove"): allow(A),
    ("GET", "/api/v1/webhooks"): allow(A),
    ("POST", "/api/v1/webhooks"): allow(A),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): allow(A),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): allow(A),
}
