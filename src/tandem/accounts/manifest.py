"""Work by account: target lists and tiers, the account score as code, buying committees with
coverage, account journey stages, whitespace, the hierarchy."""

from tandem.capabilities import Capability
from tandem.events import ActivitiesStored

CAPABILITY = Capability(
    name="accounts",
    summary="Target account lists, account scores, buying committees, journey stages, "
    "whitespace and the account hierarchy.",
    permissions="tandem.accounts.access:RULES",
    tables=("tandem.accounts.models",),
    routers=("tandem.accounts.api:router", "tandem.accounts.pages:router"),
    cli={"accounts": "tandem.accounts.cli:app"},
    handlers=((ActivitiesStored, "tandem.accounts.scores:on_activities_stored"),),
    tasks=("tandem.accounts.scheduler:install",),
    definitions=(
        "tandem.accounts.definitions:TARGET_ACCOUNTS",
        "tandem.accounts.definitions:ACCOUNT_SCORE",
        "tandem.accounts.definitions:BUYING_COMMITTEE",
        "tandem.accounts.definitions:ACCOUNT_STAGES",
    ),
    metrics=("tandem.accounts.metrics:METRICS",),
    relations=("tandem.accounts.stays:RELATIONS",),
    nav=(("Accounts", "/accounts"),),
    review_sections=("tandem.accounts.review:sections",),
    pure=(
        "tandem.accounts.fields",
        "tandem.accounts.loading",
        "tandem.accounts.score_model",
        "tandem.accounts.score_check",
        "tandem.accounts.score",
        "tandem.accounts.rescore",
        "tandem.accounts.committee",
        "tandem.accounts.stages",
        "tandem.accounts.targets",
        "tandem.accounts.hierarchy",
        "tandem.accounts.whitespace",
        "tandem.accounts.events",
        "tandem.accounts.relation",
        "tandem.accounts.backtest",
        "tandem.accounts.metrics",
    ),
)
