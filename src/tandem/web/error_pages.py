"""Errors as people read them: a page with the menu for a browser, JSON for /api/.

404, 403, 422 and 500 each have a heading and a sentence saying what happened and what to do;
the detail the code gave (which record, which field) is shown under it. The signed-in user is
looked up again for the menu (the failed request may not have got that far).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from tandem.db import session_scope
from tandem.web import openapi

log = logging.getLogger("tandem.web")

#: status -> (heading, what to do); other statuses fall back on the 400 wording.
WORDING: dict[int, tuple[str, str]] = {
    400: ("That request could not be done", "Check what you entered and try again."),
    401: ("Please sign in", "Your session ended; sign in again to continue."),
    403: (
        "This page is not open to your role",
        "Ask an admin if your work needs it; the menu shows every page you can open.",
    ),
    404: (
        "Nothing here",
        "The address may be mistyped, or the record was merged or deleted. "
        "Search for it with the box at the top.",
    ),
    409: ("Someone changed this first", "Reload the page to see the latest, then try again."),
    413: ("That upload is too large", "Import big files with the command line instead."),
    422: ("Something in the address or form is not right", "Correct it and try again."),
    429: ("Too many attempts", "Wait a minute, then try again."),
    500: (
        "Something went wrong on our side",
        "The error is logged for the admins. Try again in a minute.",
    ),
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _user(request: Request) -> object | None:
    """The signed-in user for the menu, or None (signed out, or the database is failing)."""
    from tandem.web.deps import _session_user

    try:
        with session_scope(request.app.state.session_factory) as db:
            user = _session_user(request, db)
            if user is not None:
                db.expunge(user)
            return user
    except Exception:  # the page must render even when the database is what failed
        log.debug("no user for the error page", exc_info=True)
        return None


def page(request: Request, status: int, detail: object, headers: dict | None = None) -> Response:
    """The styled error page for `status`, with the menu when someone is signed in."""
    heading, advice = WORDING.get(status, WORDING[500 if status >= 500 else 400])
    problems = detail if isinstance(detail, list) else None
    text = None if problems is not None else str(detail or "")
    if text and text.lower() in {"not found", "forbidden", "internal server error"}:
        text = None  # the framework's bare words add nothing to the heading
    return request.app.state.templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "heading": heading,
            "advice": advice,
            "detail": text,
            "problems": problems,
            "user": _user(request),
        },
        status_code=status,
        headers=headers,
    )


def _field(error: dict) -> str:
    """`query page` / `form email` from a validation error's location."""
    return " ".join(str(part) for part in error.get("loc", ()) if part != "body") or "input"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _is_api(request):
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )
    return page(request, exc.status_code, exc.detail, exc.headers)


async def _invalid(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return await openapi.invalid(request, exc)
    errors = exc.errors()  # type: ignore[attr-defined]
    problems = [f"{_field(e)}: {e.get('msg', 'invalid')}" for e in errors]
    return page(request, 422, problems)


def server_error(request: Request) -> Response:
    """The 500 answer (the error itself is logged by whoever caught it)."""
    if _is_api(request):
        return JSONResponse({"detail": "internal server error"}, status_code=500)
    return page(request, 500, None)


def install(app: FastAPI) -> None:
    """Answer HTTP errors (unknown paths included) and invalid requests as pages or JSON."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
