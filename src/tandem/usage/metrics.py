"""The customers' figures in the metric registry: MRR moves and churned accounts from the
subscription history (the `subscriptions` relation). Pure.

Gross and net revenue retention are ratios over the cohort paying at a window's start, which
no single-relation measure expresses: `tandem.usage.retention` computes them from the same
events, and its parts (expansion, contraction, churned MRR) are these metrics.
"""

from tandem.analytics.dims import DIMENSIONS
from tandem.analytics.relations import CONTACT_DIMENSIONS
from tandem.metrics.spec import Count, Metric, Sum

_COLUMNS = ("kind", "mrr_before", "mrr_after", "segment", "owner", "at_s")


def _metric(name: str, label: str, definition: str, measure, where: str, unit: str) -> Metric:
    return Metric(
        name=name,
        label=label,
        definition=definition,
        population="subscriptions",
        measure=measure,
        unit=unit,  # type: ignore[arg-type]
        date_by="at_s",
        dated="the date of the subscription change",
        where=where,
        dimensions=(*DIMENSIONS, "owner"),
        record="account",
        columns=_COLUMNS,
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
