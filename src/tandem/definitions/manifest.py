"""Definitions as versioned records."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="definitions",
    summary="Versioned, jointly approved definitions (routing, SLA...), diffed and audited.",
    tables=("tandem.definitions.models",),
    routers=("tandem.definitions.web:api", "tandem.definitions.web:pages"),
    permissions="tandem.definitions.access:RULES",
    cli={"definitions": "tandem.definitions.cli:app"},
    pure=("tandem.definitions.base",),
)
