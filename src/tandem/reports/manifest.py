"""The weekly revenue review."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="reports",
    permissions="tandem.reports.access:RULES",
    summary="The weekly revenue review as HTML, PDF and email.",
    tables=("tandem.reports.models",),
    routers=("tandem.reports.web:api", "tandem.reports.web:pages"),
    cli={"report": "tandem.reports.cli:app"},
)
