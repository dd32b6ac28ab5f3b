"""Security headers and the CSRF cookie on every response; the size limit of page bodies."""

from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
                secure=self.secure_cookies or request.url.scheme == "https",
            )
        return response


class FormBodyLimit:
    """413 for a page request (a form or an upload, outside /api/) whose body is over
    `upload_max_bytes`: refused from Content-Length before anything is read, or as soon as a
    streamed body passes the limit. (/api/ bodies have their own limit.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        limit = scope["app"].state.settings.upload_max_bytes
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await PlainTextResponse(too_large(limit), 413, {"connection": "close"})(
                    scope, receive, send
                )
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, counted, send)


def too_large(limit: int) -> str:
    """The 413 message: the limit, and the way round it for big files."""
    return (
        f"The upload is over the {limit / 1024 / 1024:,.0f} MB limit (TANDEM_UPLOAD_MAX_BYTES): "
        "import big files with `tandem import` instead."
    )
