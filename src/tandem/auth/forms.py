"""What the user-administration pages and API take in, validated once for both."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError

from tandem.auth.roles import Role


class InviteIn(BaseModel):
    """Who to invite: email, name, role and (optionally) a team."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: EmailStr = Field(max_length=254)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    team: str | None = Field(None, max_length=100)


class RoleIn(BaseModel):
    """A user's new role."""

    model_config = ConfigDict(extra="forbid")

    role: Role


class StatusIn(BaseModel):
    """Active (may sign in and use tokens) or deactivated."""

    model_config = ConfigDict(extra="forbid")

    active: bool


class TokenIn(BaseModel):
    """A new API token's name (what it is for)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """A validation error as {field: message}, for the message beside each field."""
    found: dict[str, str] = {}
    for item in exc.errors():
        field = str(item["loc"][0]) if item["loc"] else "form"
        found.setdefault(field, item["msg"].removeprefix("Value error, "))
    return found
