"""Customer usage and health: usage, entitlements and subscriptions in; health as code;
churn-risk, expansion and PQL signals; retention on the scorecard."""

from tandem.capabilities import Capability
from tandem.events import UserUsageStored

CAPABILITY = Capability(
    name="usage",
    permissions="tandem.usage.access:RULES",
    summary="Product usage per customer, a health score as code, usage signals, retention.",
    tables=("tandem.usage.models",),
    routers=("tandem.usage.api:router", "tandem.usage.pages:router"),
    cli={"health": "tandem.usage.cli:app"},
    definitions=("tandem.usage.definitions:HEALTH_MODEL", "tandem.usage.definitions:PQL_RULE"),
    handlers=((UserUsageStored, "tandem.usage.pqls:on_user_usage"),),
    packet_sections=("tandem.usage.packet:pql_panel",),
    metrics=("tandem.usage.metrics:METRICS",),
    review_sections=("tandem.usage.review:sections",),
    nav=(("Customers", "/customers"),),
    pure=(
        "tandem.usage.health_model",
        "tandem.usage.compute",
        "tandem.usage.signals",
        "tandem.usage.retention",
        "tandem.usage.backtest",
        "tandem.usage.pql",
        "tandem.usage.metrics",
    ),
)
