"""The OpenAPI document as the JSON API really answers, and the API's request body limit.

FastAPI documents each operation's success and its 422; the API also answers 401 without
credentials, 403 when the role or the object is not the caller's, 404 for an unknown id, 413 for
a body over the limit, 415 for a body that is not JSON, and (handoff) 409 and 503. Every error is
`{"detail": ...}`: a message, or details by field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

API_PREFIX = "/api/"
PUBLIC = {"/api/v1/health"}  # answered without credentials
ERROR = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"description": "What went wrong: a message, or details by field."}},
}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "An API token (tdm_...)."},
    "session": {"type": "apiKey", "in": "cookie", "name": "tandem_session"},
}
REASONS = {
    400: "Request body is not valid JSON",
    401: "Missing or invalid credentials",
    403: "Not allowed for this user",
    404: "No such object",
    409: "Conflicts with the object's state",
    413: "Request body too large",
    415: "Request body is not JSON",
    422: "Invalid request",
    503: "Not configured, or busy: retry after the Retry-After seconds",
}
# Extra answers by path prefix (most specific rules live with the routers' services).
BY_PREFIX = {"/api/v1/handoff/": (409, 503)}
# The event API on a busy SQLite: 503 with Retry-After (send the batch again).
BY_OPERATION = {
    ("post", f"/api/v1/{kind}"): (503,) for kind in ("activities", "contacts", "accounts")
}


def _error(code: int) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": REASONS[code], "content": {"application/json": {"schema": schema}}}


def document_errors(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the security schemes and the error answers to every operation under /api/."""
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Error"] = ERROR
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, operations in spec.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method, op in operations.items():
            responses = op.setdefault("responses", {})
            if path.endswith(".csv") and "200" in responses:
                schema = {"type": "string"}
                responses["200"]["content"] = {"text/csv": {"schema": schema}}
            codes: set[int] = set()
            if path not in PUBLIC:
                op["security"] = [{"bearer": []}, {"session": []}]
                codes |= {401, 403}
            names = [p.get("name", "") for p in op.get("parameters", [])]
            if "{" in path or any(name.endswith("_id") or name == "version" for name in names):
                codes.add(404)
            if op.get("parameters") or op.get("requestBody"):
                codes.add(422)
            if op.get("requestBody") or method in ("post", "put", "patch"):
                codes |= {400, 413, 415, 422}
            for prefix, extra in BY_PREFIX.items():
                if path.startswith(prefix):
                    codes.update(extra)
            codes.update(BY_OPERATION.get((method, path), ()))
            for code in sorted(codes):
                if code == 422 and "422" in responses:
                    content = responses["422"].setdefault("content", {})
                    media = content.setdefault("application/json", {})
                    validation = media.get("schema", {"$ref": "#/components/schemas/Error"})
                    media["schema"] = {
                        "anyOf": [validation, {"$ref": "#/components/schemas/Error"}]
                    }
                else:
                    responses.setdefault(str(code), _error(code))
    return spec


async def _out_of_range(request: Request, exc: Exception) -> Response:
    """A number the database cannot hold (an id past 64 bits): the client's error, not ours."""
    handler = request.app.exception_handlers[StarletteHTTPException]
    return await handler(request, HTTPException(422, "a number in the request is out of range"))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


async def invalid(request: Request, exc: Exception) -> Response:
    """FastAPI's 422, able to show an input holding NaN or Infinity (its own answer fails)."""
    errors = jsonable_encoder(exc.errors())  # type: ignore[attr-defined]
    return JSONResponse({"detail": _finite(errors)}, status_code=422)


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json; answer out-of-range numbers with 422."""
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyLimit:
    """413 for an /api/ request whose body is over `ingest_max_body_bytes`, declared or streamed.

    Without it a route would buffer a body of any size into memory before validating it. A body
    without a declared length is read here up to the limit and replayed to the route: raising
    from inside `receive` instead would reach the route wrapped by the middleware's task group.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        limit = scope["app"].state.settings.ingest_max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > limit:
                await self._too_large(send, limit)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                await self._too_large(send, limit)
                return
            if not message.get("more_body", False):
                break
        buffered = iter(messages)

        async def replay() -> Message:
            return next(buffered, None) or await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, limit: int) -> None:
        body = json.dumps({"detail": _message(limit)}).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _message(limit: int) -> str:
    return f"request body exceeds {limit:,} bytes: send smaller batches"
