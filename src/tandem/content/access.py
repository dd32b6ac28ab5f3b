"""Who may do what with content. Everyone signed in reads the library; reps share, rate and mark
deal use; marketers, sales managers and admins create and edit (a rep edits or archives only an
asset they own: the service checks); a purge is proposed by one team and decided by the other
(marketers and sales managers; the service checks which). A tracked link is public."""

from tandem.auth.permissions import PUBLIC, SM, A, E, M, R, Rule, allow

EDITORS = (A, M, SM)
WORKERS = (A, M, SM, R)  # edit their own, share, rate, mark deal use
TEAMS = (M, SM)

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/c/{token}"): PUBLIC,
    ("GET", "/content"): allow(),
    ("GET", "/content/new"): allow(*EDITORS),
    ("POST", "/content"): allow(*EDITORS),
    ("GET", "/content/unused"): allow(A, M, SM, E),
    ("POST", "/content/purges"): allow(*TEAMS),
    ("POST", "/content/purges/{purge_id}/{decision}"): allow(*TEAMS),
    ("GET", "/content/{asset_id}"): allow(),
    ("POST", "/content/{asset_id}"): allow(*WORKERS),
    ("POST", "/content/{asset_id}/archive"): allow(*WORKERS),
    ("POST", "/content/{asset_id}/file"): allow(*WORKERS),
    ("GET", "/content/{asset_id}/file"): allow(),
    ("POST", "/content/{asset_id}/share"): allow(*WORKERS),
    ("POST", "/content/{asset_id}/feedback"): allow(*WORKERS),
    ("POST", "/content/{asset_id}/deals"): allow(*WORKERS),
    ("GET", "/api/v1/content/taxonomy"): allow(),
    ("GET", "/api/v1/content/assets"): allow(),
    ("POST", "/api/v1/content/assets"): allow(*EDITORS),
    ("GET", "/api/v1/content/assets/{asset_id}"): allow(),
    ("PUT", "/api/v1/content/assets/{asset_id}"): allow(*WORKERS),
    ("POST", "/api/v1/content/assets/{asset_id}/archive"): allow(*WORKERS),
    ("POST", "/api/v1/content/assets/{asset_id}/shares"): allow(*WORKERS),
    ("PUT", "/api/v1/content/assets/{asset_id}/feedback"): allow(*WORKERS),
    ("POST", "/api/v1/content/assets/{asset_id}/deals"): allow(*WORKERS),
    ("GET", "/api/v1/content/unused"): allow(A, M, SM, E),
    ("POST", "/api/v1/content/purges"): allow(*TEAMS),
    ("POST", "/api/v1/content/purges/{purge_id}/{decision}"): allow(*TEAMS),
}

# The insights' rows (influence, gaps, suggestions; tandem/content/web.py).
from tandem.content.web_access import RULES as _INSIGHTS  # noqa: E402

RULES |= _INSIGHTS
