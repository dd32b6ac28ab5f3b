"""Domain errors every capability's services raise, each with the HTTP status the web layer
answers with (services never raise HTTP errors; `tandem.web.errors` translates)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every service error; the message is meant for the user."""

    status = 400


class NotFound(DomainError, LookupError):
    """The record asked for does not exist."""

    status = 404


class Forbidden(DomainError):
    """The user's role (or team) may not take this step."""

    status = 403


class Conflict(DomainError):
    """The step no longer applies: decided already, or changed meanwhile."""

    status = 409


class Invalid(DomainError, ValueError):
    """The input is well formed but wrong (a definition with errors, too little data)."""

    status = 422
