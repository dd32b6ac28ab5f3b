"""The accounts' figures in the metric registry (population: the `accounts` relation). Pure."""

from tandem.metrics.spec import Count, Mean, Metric, Share

DIMENSIONS = ("tier", "stage", "segment", "region", "vertical", "channel", "source", "owner")
COLUMNS = ("tier", "stage", "score", "people_engaged")
_TARGET = "is_target = 1"

METRICS: tuple[Metric, ...] = (
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
