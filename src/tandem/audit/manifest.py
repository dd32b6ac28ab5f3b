"""The audit log."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="audit",
    permissions="tandem.audit.access:RULES",
    summary="Every change to a model, route, SLA, user or record, with who and when.",
    tables=("tandem.audit.models",),
    routers=("tandem.audit.web:api", "tandem.audit.web:pages"),
)
