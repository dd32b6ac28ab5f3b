"""Who may import: the event API for integrations, uploads for admins and marketers."""

from tandem.auth.permissions import A, M, Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    # Ingest: the event API for integrations (admin or marketing tokens).
    ("POST", "/api/v1/activities"): allow(A, M, tokens_only=True),
    ("POST", "/api/v1/contacts"): allow(A, M, tokens_only=True),
    ("POST", "/api/v1/accounts"): allow(A, M, tokens_only=True),
    # Product usage drives PQLs (marketing's funnel) and churn/expansion signals (sales'): the
    # integrations admins or marketing set up post it, never a rep's or a manager's token.
    ("POST", "/api/v1/usage/events"): allow(A, M, tokens_only=True),
    # The import pages: admins every kind, marketers contacts, activities and campaigns
    # (the page checks the kind; a marketer opens only their own jobs).
    ("GET", "/ingest"): allow(A, M),
    ("POST", "/ingest/preview"): allow(A, M),
    ("POST", "/ingest/remap"): allow(A, M),
    ("POST", "/ingest/commit"): allow(A, M),
    ("GET", "/ingest/jobs/{job_id}"): allow(A, M),
    ("POST", "/ingest/jobs/{job_id}/fixes"): allow(A, M),
    ("GET", "/api/v1/imports/{job_id}"): allow(A),
}
