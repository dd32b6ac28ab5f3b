"""Security headers and the CSRF cookie, added to every response."""

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from tandem.web.csrf import CSRF_COOKIE

# No inline script anywhere: scripts come from /static only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders(BaseHTTPMiddleware):
    """Sets CSP, frame denial, no-sniff and referrer policy; issues the CSRF cookie."""

    def __init__(self, app: object, *, secure_cookies: bool) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.secure_cookies = secure_cookies

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        new_token = getattr(request.state, "new_csrf", None)
        if new_token:
            response.set_cookie(
                CSRF_COOKIE,
                new_token,
                httponly=True,
                samesite="lax",
                secure=self.secure_cookies,
            )
        return response
