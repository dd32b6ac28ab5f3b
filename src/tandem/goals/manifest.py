"""Team goals and rep quotas."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="goals",
    permissions="tandem.goals.access:RULES",
    summary="Team goals and rep quotas with attainment and pace.",
    tables=("tandem.goals.models",),
    routers=("tandem.goals.web:api", "tandem.goals.web:pages"),
    cli={"goals": "tandem.goals.cli:app"},
    pure=("tandem.goals.pace", "tandem.goals.metrics"),
)
