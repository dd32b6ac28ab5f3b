"""The handoff: routing, SLA clocks, the rep's queue, accept and reject."""

from tandem.accounts.events import AccountsQualified
from tandem.capabilities import Capability
from tandem.events import HandoffAnswered, StageChanged, UsageSignalsRaised

CAPABILITY = Capability(
    name="handoff",
    permissions="tandem.handoff.access:RULES",
    summary="MQLs routed at the MQL moment, SLA clocks and escalations, accept/reject.",
    tables=("tandem.handoff.models",),
    routers=(
        "tandem.handoff.api:router",
        "tandem.handoff.pages:router",
        "tandem.handoff.admin.pages:router",
    ),
    cli={
        "handoff": "tandem.handoff.cli:app",
        "routing": "tandem.handoff.ops_cli:routing_app",
        "sla": "tandem.handoff.ops_cli:sla_app",
    },
    handlers=(
        (StageChanged, "tandem.handoff.intake:on_stage_changed"),
        (AccountsQualified, "tandem.handoff.account_intake:on_accounts_qualified"),
        (UsageSignalsRaised, "tandem.handoff.account_intake:on_usage_signals"),
        # Notifications about a handled lead are done; managers hear of rejects.
        (StageChanged, "tandem.handoff.notify_done:on_stage_changed"),
        (HandoffAnswered, "tandem.handoff.notify_done:on_handoff_answered"),
    ),
    tasks=("tandem.handoff.scheduler:install",),
    definitions=("tandem.handoff.definitions:ROUTING", "tandem.handoff.definitions:SLA"),
    metrics=("tandem.handoff.metrics:METRICS",),
    relations=("tandem.handoff.facts:RELATIONS",),
    pure=("tandem.handoff.metrics", "tandem.handoff.relation"),
)
