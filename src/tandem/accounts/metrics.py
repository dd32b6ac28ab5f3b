"""The accounts' figures in the metric registry (population: the `accounts` relation). Pure."""

from tandem.metrics.spec import Count, Mean, Median, Metric, Share

DIMENSIONS = ("tier", "stage", "segment", "region", "vertical", "channel", "source", "owner")
COLUMNS = ("tier", "stage", "score", "people_engaged")
_TARGET = "is_target = 1"

METRICS: tuple[Metric, ...] = (
    Metric(
        name="accounts_count",
        label="Accounts",
        definition="Every account at the moment shown, each in the journey stage of the latest "
        "daily snapshot and the tier of the approved target list (none when not a target).",
        population="accounts",
        measure=Count(),
        unit="count",
        date_by=None,
        window="as_of",
        dimensions=DIMENSIONS,
        record="account",
        columns=COLUMNS,
    ),
    Metric(
        name="target_accounts",
        label="Target accounts",
        definition="Accounts on the approved target account list (any tier) at the moment "
        "shown, as the last applied list version left them.",
        population="accounts",
        measure=Count(),
        unit="count",
        date_by=None,
        window="as_of",
        dimensions=DIMENSIONS,
        where=_TARGET,
        record="account",
        columns=COLUMNS,
    ),
    Metric(
        name="engaged_accounts",
        label="Engaged accounts",
        definition="Accounts with at least one scored activity of one of their contacts in the "
        "30 days before the moment shown (from the stored account scores).",
        population="accounts",
        measure=Count(),
        unit="count",
        date_by=None,
        window="as_of",
        dimensions=DIMENSIONS,
        where="last_touch_s IS NOT NULL AND last_touch_s <= {as_of} "
        "AND last_touch_s > {as_of} - 2592000",
        record="account",
        columns=COLUMNS,
    ),
    Metric(
        name="mqa_accounts",
        label="New MQAs",
        definition="Accounts that became marketing-qualified accounts in the period: the moment "
        "their account score first met the approved model's MQA rule.",
        population="accounts",
        measure=Count(),
        unit="count",
        date_by="mqa_s",
        dated="the MQA moment",
        dimensions=DIMENSIONS,
        record="account",
        columns=COLUMNS,
    ),
    Metric(
        name="target_accounts_in_pipeline",
        label="Target accounts in pipeline",
        definition="The share of target accounts whose journey stage (latest daily snapshot) "
        "is opportunity or customer: the account stage conversion of the list.",
        population="accounts",
        measure=Share("stage IN ('opportunity', 'customer')"),
        unit="percent",
        date_by=None,
        window="as_of",
        dimensions=DIMENSIONS,
        where=_TARGET,
        record="account",
        columns=COLUMNS,
    ),
    Metric(
        name="target_account_coverage",
        label="Committee coverage points",
        definition="The mean coverage points (roles of the template present and engaged, out "
        "of the account score's coverage maximum) of the scored target accounts.",
        population="accounts",
        measure=Mean("coverage"),
        unit="count",
        date_by=None,
        window="as_of",
        dimensions=DIMENSIONS,
        where=_TARGET,
        record="account",
        columns=COLUMNS,
    ),
)

#: Dimensions of a stay in a journey stage.
STAY_DIMENSIONS = ("tier", "stage", "segment", "region", "vertical", "owner")

METRICS += (
    Metric(
        name="account_stage_conversion",
        label="Account stage conversion",
        definition="The share of account stays in a journey stage (begun in the period, from "
        "the daily snapshots) after which the account reached a stage further down the "
        "funnel; by tier and stage it is the account funnel's conversion.",
        population="account_stays",
        measure=Share("advanced = 1"),
        unit="percent",
        date_by="entered_s",
        dated="the day the account entered the stage",
        dimensions=STAY_DIMENSIONS,
        record="account",
        columns=("stage", "tier", "days", "advanced"),
    ),
    Metric(
        name="account_days_in_stage",
        label="Days in stage (accounts)",
        definition="The median days accounts spent in a journey stage, over the stays that "
        "ended in the period (from the daily snapshots; stays still open are left out).",
        population="account_stays",
        measure=Median("days"),
        unit="days",
        date_by="left_s",
        dated="the day the account left the stage",
        dimensions=STAY_DIMENSIONS,
        where="left_s IS NOT NULL",
        record="account",
        columns=("stage", "tier", "days"),
        unknown_text="still in the stage",
    ),
)
