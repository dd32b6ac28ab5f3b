"""The metric registry."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="metrics",
    summary="Every figure defined once (population, date, window); drill-down to its records.",
    routers=("tandem.metrics.web:api", "tandem.metrics.web:pages"),
    permissions="tandem.metrics.access:RULES",
    cli={"metrics": "tandem.metrics.cli:app"},
    nav=(("Metrics", "/metrics"),),
    pure=("tandem.metrics.spec", "tandem.metrics.sql"),
)
