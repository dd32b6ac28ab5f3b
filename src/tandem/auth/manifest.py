"""Users, roles, sessions and API tokens."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="auth",
    summary="Users with roles, hashed passwords, API tokens and the permission table.",
    tables=("tandem.auth.models",),
    cli={"users": "tandem.auth.cli:app"},
)
