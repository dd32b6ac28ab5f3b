"""Who may administer users (admins) and follow an emailed link (anyone holding it)."""

from tandem.auth.permissions import PUBLIC, A, Rule, allow

_USERS = "/admin/users"
_API = "/api/v1/admin/users"

RULES: dict[tuple[str, str], Rule] = {
    ("GET", _USERS): allow(A),
    ("POST", _USERS): allow(A),
    ("GET", f"{_USERS}/{{user_id}}"): allow(A),
    ("POST", f"{_USERS}/{{user_id}}/role"): allow(A),
    ("POST", f"{_USERS}/{{user_id}}/status"): allow(A),
    ("POST", f"{_USERS}/{{user_id}}/reset"): allow(A),
    ("POST", f"{_USERS}/{{user_id}}/tokens"): allow(A),
    ("POST", f"{_USERS}/{{user_id}}/tokens/{{token_id}}/revoke"): allow(A),
    ("GET", _API): allow(A),
    ("POST", _API): allow(A),
    ("GET", f"{_API}/{{user_id}}"): allow(A),
    ("POST", f"{_API}/{{user_id}}/role"): allow(A),
    ("POST", f"{_API}/{{user_id}}/status"): allow(A),
    ("POST", f"{_API}/{{user_id}}/reset"): allow(A),
    ("GET", f"{_API}/{{user_id}}/tokens"): allow(A),
    ("POST", f"{_API}/{{user_id}}/tokens"): allow(A),
    ("POST", f"{_API}/{{user_id}}/tokens/{{token_id}}/revoke"): allow(A),
    # The emailed link is the credential: whoever holds it chooses the password, once.
    ("GET", "/password/{token}"): PUBLIC,
    ("POST", "/password/{token}"): PUBLIC,
}
