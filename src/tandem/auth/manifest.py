"""Users, roles, sessions and API tokens."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="auth",
    summary="Users with roles, hashed passwords, API tokens and the permission table.",
    tables=("tandem.auth.models",),
    routers=("tandem.auth.api:api", "tandem.auth.pages:pages"),
    permissions="tandem.auth.access:RULES",
    cli={"users": "tandem.auth.cli:app"},
    nav=(("Users", "/admin/users"),),
)
