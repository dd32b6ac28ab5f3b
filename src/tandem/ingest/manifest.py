"""Ingest: CSV imports, the event API, quarantine and resumable jobs."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="ingest",
    permissions="tandem.ingest.access:RULES",
    summary="CSV imports with quarantine, the idempotent event API, resumable jobs.",
    tables=("tandem.ingest.models",),
    routers=("tandem.ingest.web:router",),
    cli={"import": "tandem.ingest.cli:app"},
)
