"""The one map from a domain error to an HTTP error, for pages and the JSON API alike."""

from __future__ import annotations

from fastapi import HTTPException

from tandem.errors import DomainError


def http_error(exc: Exception) -> HTTPException:
    """`exc` as an HTTP error: a domain error's own status, 404 for any other lookup miss, 400
    for the rest; the message is the detail."""
    if isinstance(exc, DomainError):
        status = exc.status
    elif isinstance(exc, LookupError):
        status = 404
    else:
        status = 400
    return HTTPException(status, str(exc))
