"""CSRF protection for cookie-authenticated requests (double-submit token).

Every browser gets a random `tandem_csrf` cookie; each form carries the same value in a hidden
`csrf_token` field (or the `X-CSRF-Token` header for scripts). A cross-site page can make the
browser send the cookie but cannot read it to fill the field, so a mismatch means forgery.
"""

import hmac
import secrets

from fastapi import HTTPException, Request, status

CSRF_COOKIE = "tandem_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def csrf_token(request: Request) -> str:
    """The token for this browser, creating one (set as a cookie by the middleware) if new."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


async def verify_csrf(request: Request) -> None:
    """Dependency for unsafe methods: reject when the form/header token does not match."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    expected = request.cookies.get(CSRF_COOKIE)
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and "form" in request.headers.get("content-type", ""):
        supplied = (await request.form()).get(CSRF_FIELD)  # type: ignore[assignment]
    if not expected or not isinstance(supplied, str) or not hmac.compare_digest(expected, supplied):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF token missing or invalid")
