"""Security headers and the CSRF cookie on every response; the size limit of page bodies."""

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem.web.csrf import CSRF_COOKIE

# No inline script anywhere: scripts come from /static only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Sets CSP, frame denial, no-sniff and referrer policy; issues the CSRF cookie. Plain ASGI:
    `BaseHTTPMiddleware` cost 0.8 ms a request (a task and a stream per response)."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                new_token = scope.get("state", {}).get("new_csrf")  # set by tandem.web.csrf
                if new_token:
                    cookie = Response()
                    cookie.set_cookie(
                        CSRF_COOKIE,
                        new_token,
                        httponly=True,
                        samesite="lax",
                        secure=self.secure_cookies or scope.get("scheme") == "https",
                    )
                    headers.append("set-cookie", cookie.headers["set-cookie"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette's error middleware sits outside this one: its 500 would go out without
            # the headers. Answer here, through them; it logs the error and sends nothing more.
            if not started:
                await _server_error(scope)(scope, receive, send_with_headers)
            raise


def _server_error(scope: Scope) -> Response:
    from starlette.requests import Request

    from tandem.web.error_pages import server_error

    try:
        return server_error(Request(scope))  # the page with the menu, or JSON for /api/
    except Exception:  # even the error page failed: plain words, never a traceback
        if scope["path"].startswith("/api/"):
            return JSONResponse({"detail": "internal server error"}, status_code=500)
        return PlainTextResponse("Internal Server Error", status_code=500)


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
