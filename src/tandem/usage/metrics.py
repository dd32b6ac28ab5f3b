"""The customers' figures in the metric registry. Pure.

MRR moves and churned accounts count the subscription history (the `subscriptions` relation);
gross and net revenue retention and logo churn follow the cohort paying at a window's start to
its end (the `retention` relation, `tandem.usage.relations`), and equal
`tandem.usage.retention`'s arithmetic; renewals due and health read the `renewals` and
`health` relations.
"""

from functools import partial

from tandem.analytics.dims import DIMENSIONS
from tandem.analytics.relations import CONTACT_DIMENSIONS
from tandem.metrics.spec import Count, Mean, Metric, Ratio, Share, Sum

_COLUMNS = ("kind", "mrr_before", "mrr_after", "segment", "owner", "at_s")
#: The accounts paying at the window's start, each followed to the window's end.
_COHORT = (
    "start_mrr > 0 AND start_from_s < {start} AND (start_to_s IS NULL OR start_to_s >= {start})"
    " AND end_from_s < {stop} AND (end_to_s IS NULL OR end_to_s >= {stop})"
)
#: Renewals counted ahead of the moment shown.
RENEWAL_DAYS = 90

#: Every customer figure has the shared dimensions and the owner, and lists accounts.
_customer = partial(Metric, dimensions=(*DIMENSIONS, "owner"), record="account")


def _metric(name: str, label: str, definition: str, measure, where: str, unit: str) -> Metric:
    """A figure of the subscription changes, dated by the change."""
    return _customer(
        name, label, definition, "subscriptions", measure, unit,  # type: ignore[arg-type]
        "at_s", dated="the date of the subscription change", where=where, columns=_COLUMNS,
    )  # fmt: skip


#: A figure of the cohort paying at the window's start, followed to its end.
_cohort = partial(
    _customer,
    population="retention",
    unit="percent",
    date_by=None,
    window="cohort",
    dated="the customers paying at the window's start, followed to its end",
    where=_COHORT,
    columns=("start_mrr", "end_mrr", "segment", "owner"),
)
#: A figure of the customers' latest health, at the moment shown.
_health = partial(
    _customer,
    population="health",
    unit="count",
    date_by=None,
    window="as_of",
    columns=("score", "band", "segment", "owner"),
)


METRICS: tuple[Metric, ...] = (
    _metric(
        "expansion_mrr",
        "Expansion MRR",
        "Monthly recurring revenue added to existing customers by upgrades (and renewals at a "
        "higher price) in the window, from the subscription history.",
        Sum("expansion"),
        "expansion > 0",
        "money",
    ),
    _metric(
        "contraction_mrr",
        "Contraction MRR",
        "Monthly recurring revenue lost by downgrades (and renewals at a lower price) of "
        "customers who stayed, in the window.",
        Sum("contraction"),
        "contraction > 0",
        "money",
    ),
    _metric(
        "churned_mrr",
        "Churned MRR",
        "Monthly recurring revenue the churned customers paid just before they churned, by "
        "the date of the churn.",
        Sum("churned_mrr"),
        "kind = 'churn'",
        "money",
    ),
    _metric(
        "customers_churned",
        "Customers churned",
        "Churn events in the window: customers whose subscription ended (logo churn's numerator).",
        Count(),
        "kind = 'churn'",
        "count",
    ),
    _metric(
        "new_mrr",
        "New MRR",
        "Monthly recurring revenue of the subscriptions started in the window (new customers, "
        "and customers coming back after a churn).",
        Sum("mrr_after"),
        "kind = 'start'",
        "money",
    ),
)

METRICS += (
    _cohort(
        "gross_revenue_retention",
        "Gross revenue retention",
        "The MRR the customers paying at the window's start still pay at its end, each "
        "counted at most at its starting MRR (expansion left out, contraction and churn in), "
        "over their MRR at the start.",
        measure=Ratio("GREATEST(LEAST(end_mrr, start_mrr), 0)", "start_mrr"),
    ),
    _cohort(
        "net_revenue_retention",
        "Net revenue retention",
        "The MRR the customers paying at the window's start pay at its end (expansion, "
        "contraction and churn all in; customers new in the window left out), over their MRR "
        "at the start.",
        measure=Ratio("GREATEST(end_mrr, 0)", "start_mrr"),
    ),
    _cohort(
        "logo_churn",
        "Logo churn",
        "The share of the customers paying at the window's start who pay nothing at its end.",
        measure=Share("end_mrr <= 0"),
    ),
    _cohort(
        "customers_at_start",
        "Paying customers at the start",
        "Customers with MRR above zero at the window's start: the cohort revenue retention "
        "and logo churn follow.",
        measure=Count(),
        unit="count",
    ),
    _customer(
        "renewals_due",
        f"Renewals due in {RENEWAL_DAYS} days",
        f"Renewal dates of current entitlements from the moment shown to {RENEWAL_DAYS} days "
        "after it (an account renewing two contracts on two dates counts twice).",
        measure=Count(),
        where=f"renewal_s + 86400 > {{as_of}} AND renewal_s < {{as_of}} + {RENEWAL_DAYS * 86400}"
        " AND (valid_to_s IS NULL OR valid_to_s > {as_of})",
        population="renewals",
        unit="count",
        date_by=None,
        window="as_of",
        columns=("renewal_s", "segment", "owner"),
    ),
    _health(
        "accounts_at_risk",
        "Accounts at risk",
        "Customers whose latest health score (the last day health was scored) is in the at "
        "risk band of the approved health model.",
        measure=Count(),
        where="band = 'at_risk'",
    ),
    _health(
        "accounts_healthy",
        "Healthy accounts",
        "Customers whose latest health score (the last day health was scored) is in the "
        "healthy band of the approved health model.",
        measure=Count(),
        where="band = 'healthy'",
    ),
    _health(
        "accounts_neutral",
        "Neutral accounts",
        "Customers whose latest health score (the last day health was scored) is in neither "
        "the healthy nor the at risk band.",
        measure=Count(),
        where="band = 'neutral'",
    ),
    _health(
        "customer_health",
        "Mean health score",
        "The mean of the customers' latest health scores (the last day health was scored, "
        "0 to 100).",
        measure=Mean("score"),
        where="TRUE",
    ),
)
#: Product-qualified leads: users of free or trial accounts a PQL rule made MQLs.
PQLS = Metric(
    name="pqls",
    label="PQLs",
    definition="Users of free or trial accounts whose own product usage met the approved PQL "
    "rule and who entered the lead funnel as MQLs (cause pql:<version>), by the day matched.",
    population="pqls",
    measure=Count(),
    unit="count",
    date_by="at_s",
    dated="the day the user matched the PQL rule",
    dimensions=(*CONTACT_DIMENSIONS, "plan", "rule"),
    record="contact",
    columns=("plan", "rule", "source", "at_s"),
)
METRICS = (*METRICS, PQLS)
