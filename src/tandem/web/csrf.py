"""CSRF protection for cookie-authenticated requests.

Each form carries a token in a hidden `csrf_token` field (scripts send the `X-CSRF-Token`
header). Signed in, the token is bound to the session: an HMAC of the session's secret, so it
changes at every sign-in (rotated) and a token planted in the browser before (cookie tossing)
or taken from another session is refused. Signed out (the sign-in form), it is a random
`tandem_csrf` cookie matched against the field (double submit). The `tandem_csrf` cookie
always holds the current token, for scripts to copy into the header.
"""

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request, status

CSRF_COOKIE = "tandem_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "tandem_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bound_token(session_secret: str) -> str:
    """The CSRF token of the session whose cookie secret is `session_secret`."""
    return hmac.new(session_secret.encode(), b"tandem-csrf", hashlib.sha256).hexdigest()


def _expected(request: Request) -> str | None:
    session = request.cookies.get(SESSION_COOKIE)
    return bound_token(session) if session else request.cookies.get(CSRF_COOKIE)


def csrf_token(request: Request) -> str:
    """The token for this browser (the session's when signed in); the middleware sets it as
    the `tandem_csrf` cookie when the browser does not have it yet."""
    token = getattr(request.state, "new_csrf", None) or _expected(request)
    if not token:
        token = secrets.token_urlsafe(32)
    if request.cookies.get(CSRF_COOKIE) != token:
        request.state.new_csrf = token
    return token


def issue(request: Request, token: str | None = None) -> None:
    """Send a new `tandem_csrf` cookie with this response: the session's token after sign-in,
    a fresh random one after sign-out."""
    request.state.new_csrf = token or secrets.token_urlsafe(32)


def check_header(request: Request) -> None:
    """403 unless the `X-CSRF-Token` header holds the expected token (API writes made with
    the browser's session cookie)."""
    _compare(request, request.headers.get(CSRF_HEADER))


def _compare(request: Request, supplied: object) -> None:
    expected = _expected(request)
    if not expected or not isinstance(supplied, str) or not hmac.compare_digest(expected, supplied):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF token missing or invalid")


async def verify_csrf(request: Request) -> None:
    """Dependency for unsafe methods: reject when the form/header token does not match."""
    if request.method in SAFE_METHODS:
        return
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and "form" in request.headers.get("content-type", ""):
        supplied = (await request.form()).get(CSRF_FIELD)  # type: ignore[assignment]
    _compare(request, supplied)
