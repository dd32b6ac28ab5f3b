"""The accounts' figures in the metric registry. Pure.

Population `accounts` (one row per account, `relation.py`) for the list, engagement, MQAs and
coverage; `account_stays` (one row per stay in a journey stage, `stays.py`) for the account
funnel's conversion and time in stage.
"""

from functools import partial

from tandem.metrics.spec import Count, Mean, Median, Metric, Share

DIMENSIONS = ("tier", "stage", "segment", "region", "vertical", "channel", "source", "owner")
COLUMNS = ("tier", "stage", "score", "people_engaged")
#: Dimensions of a stay in a journey stage.
STAY_DIMENSIONS = ("tier", "stage", "segment", "region", "vertical", "channel", "source", "owner")
_TARGET = "is_target = 1"

#: An accounts figure read at the moment shown (the dated ones say so).
_now = partial(
    Metric,
    population="accounts",
    unit="count",
    date_by=None,
    window="as_of",
    dimensions=DIMENSIONS,
    record="account",
    columns=COLUMNS,
)
_stays = partial(Metric, population="account_stays", dimensions=STAY_DIMENSIONS, record="account")

METRICS: tuple[Metric, ...] = (
    _now(
        "accounts_count",
        "Accounts",
        "Every account at the moment shown, each in the journey stage of the latest daily "
        "snapshot and the tier of the approved target list (none when not a target).",
        measure=Count(),
    ),
    _now(
        "target_accounts",
        "Target accounts",
        "Accounts on the approved target account list (any tier) at the moment shown, as the "
        "last applied list version left them.",
        measure=Count(),
        where=_TARGET,
    ),
    _now(
        "engaged_accounts",
        "Engaged accounts",
        "Accounts with at least one scored activity of one of their contacts in the 30 days "
        "before the moment shown (from the stored account scores).",
        measure=Count(),
        where="last_touch_s IS NOT NULL AND last_touch_s <= {as_of} "
        "AND last_touch_s > {as_of} - 2592000",
    ),
    _now(
        "mqa_accounts",
        "New MQAs",
        "Accounts that became marketing-qualified accounts in the period: the moment their "
        "account score first met the approved model's MQA rule.",
        measure=Count(),
        date_by="mqa_s",
        dated="the MQA moment",
        window="range",
    ),
    _now(
        "target_accounts_in_pipeline",
        "Target accounts in pipeline",
        "The share of target accounts whose journey stage (latest daily snapshot) is "
        "opportunity or customer: the account stage conversion of the list.",
        measure=Share("stage IN ('opportunity', 'customer')"),
        unit="percent",
        where=_TARGET,
    ),
    _now(
        "target_account_coverage",
        "Committee coverage points",
        "The mean coverage points (roles of the template present and engaged, out of the "
        "account score's coverage maximum) of the scored target accounts.",
        measure=Mean("coverage"),
        where=_TARGET,
    ),
    _stays(
        "account_stage_conversion",
        "Account stage conversion",
        "The share of account stays in a journey stage (begun in the period, from the daily "
        "snapshots) after which the account reached a stage further down the funnel; by tier "
        "and stage it is the account funnel's conversion.",
        measure=Share("advanced = 1"),
        unit="percent",
        date_by="entered_s",
        dated="the day the account entered the stage",
        columns=("stage", "tier", "days", "advanced"),
    ),
    _stays(
        "account_days_in_stage",
        "Days in stage (accounts)",
        "The median days accounts spent in a journey stage, over the stays that ended in the "
        "period (from the daily snapshots; stays still open are left out).",
        measure=Median("days"),
        unit="days",
        date_by="left_s",
        dated="the day the account left the stage",
        where="left_s IS NOT NULL",
        columns=("stage", "tier", "days"),
        unknown_text="still in the stage",
    ),
)
