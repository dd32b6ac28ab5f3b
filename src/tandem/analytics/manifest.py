"""The scorecard's dashboards."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="analytics",
    permissions="tandem.analytics.access:RULES",
    summary="Dashboards over a columnar copy of the store, Plotly served from its package.",
    routers=("tandem.analytics.web:api", "tandem.analytics.web:pages"),
    tasks=("tandem.analytics.web:install",),
    pure=(
        "tandem.analytics.periods",
        "tandem.analytics.dims",
        "tandem.analytics.frames",
        "tandem.analytics.funnel",
        "tandem.analytics.velocity",
        "tandem.analytics.pipeline",
        "tandem.analytics.handoff",
        "tandem.analytics.ltv",
        "tandem.analytics.gaps",
        "tandem.analytics.charts",
        "tandem.analytics.svg",
        "tandem.analytics.relations",
        "tandem.analytics.metrics",
    ),
    metrics=("tandem.analytics.metrics:METRICS",),
)
