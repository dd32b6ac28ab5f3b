"""Outgoing webhooks: signed, queued with the change, sent and retried by a worker."""

from tandem.capabilities import Capability
from tandem.events import HandoffAnswered, StageChanged, UsageSignalsRaised

CAPABILITY = Capability(
    name="webhooks",
    permissions="tandem.webhooks.access:RULES",
    summary="Signed outgoing webhooks for stage changes, handoff answers, MQLs, wins, signals.",
    tables=("tandem.webhooks.models",),
    routers=("tandem.webhooks.api:router", "tandem.webhooks.pages:router"),
    cli={"webhooks": "tandem.webhooks.cli:app"},
    handlers=(
        (StageChanged, "tandem.webhooks.handlers:on_stage_changed"),
        (HandoffAnswered, "tandem.webhooks.handlers:on_handoff_answered"),
        (UsageSignalsRaised, "tandem.webhooks.handlers:on_signals_raised"),
    ),
    tasks=("tandem.webhooks.worker:install",),
    pure=("tandem.webhooks.signing", "tandem.webhooks.retry", "tandem.webhooks.topics"),
    nav=(("Webhooks", "/admin/webhooks"),),
)
