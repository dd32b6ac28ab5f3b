"""Attribution: won revenue credited to campaigns, channels and content."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="attribution",
    permissions="tandem.attribution.access:RULES",
    summary="Nine attribution models, ROI, path tables, deal retrospectives, stored runs.",
    tables=("tandem.attribution.models",),
    routers=("tandem.attribution.api:router", "tandem.attribution.pages:router"),
    cli={"attribution": "tandem.attribution.cli:app"},
)
