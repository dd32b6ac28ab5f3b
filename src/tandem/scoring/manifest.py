"""Scoring as code: versioned models, joint approval, explained scores."""

from tandem.capabilities import Capability
from tandem.events import ActivitiesStored

CAPABILITY = Capability(
    name="scoring",
    permissions="tandem.scoring.access:RULES",
    summary="YAML scoring models approved by both teams, incremental and full rescores.",
    tables=("tandem.scoring.models",),
    routers=("tandem.scoring.api:router", "tandem.scoring.pages:router"),
    cli={"scoring": "tandem.scoring.cli:app"},
    handlers=((ActivitiesStored, "tandem.scoring.incremental:on_activities_stored"),),
    pure=(
        "tandem.scoring.engine",
        "tandem.scoring.rescore",
        "tandem.scoring.grid",
        "tandem.scoring.backtest",
        "tandem.scoring.backtest_report",
        "tandem.scoring.features",
        "tandem.scoring.scorecard",
        "tandem.scoring.leakage",
        "tandem.scoring.tabular",
    ),
)
