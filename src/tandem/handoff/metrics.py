"""The handoff's metrics: acceptance, SLA compliance both clocks, speed to lead. Pure."""

from tandem.analytics.dims import DIMENSIONS
from tandem.metrics.spec import Count, Median, Metric, Share

_ANSWERED = "COALESCE(accepted_s, rejected_s)"
_HANDOFF_COLUMNS = ("status", "segment", "region", "vertical", "channel", "mql_s")


def _clock(name: str, label: str, done: str, due: str, what: str) -> Metric:
    # A clock is decided once its work is done or its due time has passed by the moment shown.
    decided = f"{due} IS NOT NULL AND ({done} <= {{as_of}} OR {due} <= {{as_of}})"
    met = f"{done} IS NOT NULL AND {done} <= {due} AND {done} <= {{as_of}}"
    return Metric(
        name=name,
        label=label,
        definition=(
            f"Of the MQLs handed to sales in the window whose {what} clock is decided (done, "
            f"or due by the moment shown), the share done on time (business hours, per the SLA "
            f"policy in force when the MQL was handed off)."
        ),
        population="handoffs",
        measure=Share(met),
        unit="percent",
        date_by="mql_s",
        dated="the MQL moment",
        where=decided,
        dimensions=DIMENSIONS,
        record="handoff",
        columns=(*_HANDOFF_COLUMNS, due, done),
    )


METRICS: tuple[Metric, ...] = (
    Metric(
        name="handed_off",
        label="MQLs handed off",
        definition="MQLs routed to a sales owner with SLA clocks, by the moment they became MQL.",
        population="handoffs",
        measure=Count(),
        unit="count",
        date_by="mql_s",
        dated="the MQL moment",
        dimensions=DIMENSIONS,
        record="handoff",
        columns=_HANDOFF_COLUMNS,
    ),
    Metric(
        name="acceptance_rate",
        label="Acceptance rate",
        definition=(
            "Of the MQLs sales answered in the window (by the date of the answer), the share "
            "accepted (moved to SAL) rather than rejected (recycled to nurture or "
            "disqualified). Read from the lifecycle log, so answers given before the handoff "
            "had SLA clocks count too."
        ),
        population="answers",
        measure=Share("to_stage = 'sal'"),
        unit="percent",
        date_by="at_s",
        dated="the date of the answer",
        where="from_stage = 'mql' AND to_stage IN ('sal', 'nurture', 'disqualified')",
        dimensions=DIMENSIONS,
        record="transition",
        columns=("from_stage", "to_stage", "reason", "segment", "channel", "at_s"),
    ),
    _clock("accept_sla", "Accept SLA met", _ANSWERED, "accept_due_s", "accept-or-reject"),
    _clock(
        "first_touch_sla",
        "First-touch SLA met",
        "first_touch_s",
        "first_touch_due_s",
        "first-touch",
    ),
    Metric(
        name="speed_to_lead_hours",
        label="Speed to lead",
        definition=(
            "The median hours from the handoff (when the SLA clock started) to the owner's "
            "first touch, over the MQLs handed off in the window and touched by the moment "
            "shown; a lead touched before it was handed off counts as 0 hours, and those not "
            "touched yet are counted apart."
        ),
        population="handoffs",
        measure=Median(
            "CASE WHEN first_touch_s <= {as_of} "
            "THEN GREATEST(first_touch_s - clock_started_s, 0) / 3600.0 END"
        ),
        unit="hours",
        unknown_text="not touched yet",
        date_by="mql_s",
        dated="the MQL moment",
        dimensions=DIMENSIONS,
        record="handoff",
        columns=(*_HANDOFF_COLUMNS, "clock_started_s", "first_touch_s"),
    ),
    Metric(
        name="time_to_accept_days",
        label="Time to accept",
        definition=(
            "The median days from first reaching MQL to first reaching SAL, over the contacts "
            "that reached MQL in the window and SAL by the moment shown."
        ),
        population="contacts",
        measure=Median(
            "CASE WHEN reached_sal_s <= {as_of} THEN (reached_sal_s - reached_mql_s) / 86400.0 END"
        ),
        unit="days",
        unknown_text="not accepted yet",
        date_by="reached_mql_s",
        dated="the day first reached MQL",
        dimensions=DIMENSIONS,
        columns=("stage", "segment", "channel", "reached_mql_s", "reached_sal_s"),
    ),
)

#: Account handoffs (an MQA, an expansion, a churn risk): the `account_handoffs` relation.
ACCOUNT_DIMENSIONS = (
    "subject", "tier", "segment", "region", "vertical", "channel", "source", "owner",
)  # fmt: skip
_ACCOUNT_COLUMNS = ("subject", "status", "tier", "owner", "mql_s")
_MQA = "subject = 'account'"
_ACCEPT_DECIDED = "accept_due_s IS NOT NULL AND (answered_s <= {as_of} OR accept_due_s <= {as_of})"
_ACCEPT_MET = "answered_s IS NOT NULL AND answered_s <= accept_due_s AND answered_s <= {as_of}"


def _account_metric(name: str, label: str, definition: str, **kw: object) -> Metric:
    return Metric(
        name=name,
        label=label,
        definition=definition,
        population="account_handoffs",
        unit=kw.pop("unit", "percent"),  # type: ignore[arg-type]
        dimensions=ACCOUNT_DIMENSIONS,
        record="account",
        **kw,  # type: ignore[arg-type]
    )


_ACCEPTANCE = dict(
    measure=Share("accepted_s IS NOT NULL"),
    date_by="answered_s",
    dated="the date of the answer",
    columns=(*_ACCOUNT_COLUMNS, "answered_s", "reject_code"),
)
_ACCEPT_SLA = dict(
    measure=Share(_ACCEPT_MET),
    date_by="mql_s",
    dated="the moment it was handed off",
    columns=(*_ACCOUNT_COLUMNS, "accept_due_s", "answered_s"),
)

METRICS += (
    _account_metric(
        "account_handoffs",
        "Accounts handed off",
        "Accounts handed to sales with SLA clocks (an MQA, an expansion signal or a churn "
        "risk; the subject dimension says which), by the moment of the episode.",
        measure=Count(),
        unit="count",
        date_by="mql_s",
        dated="the moment it was handed off",
        columns=_ACCOUNT_COLUMNS,
    ),
    _account_metric(
        "account_acceptance_rate",
        "Account acceptance rate",
        "Of the account handoffs sales answered in the window (by the date of the answer), "
        "the share accepted rather than rejected with a reason.",
        where="answered_s IS NOT NULL",
        **_ACCEPTANCE,
    ),
    _account_metric(
        "account_accept_sla",
        "Account accept SLA met",
        "Of the account handoffs of the window whose accept clock is decided (answered, or "
        "due by the moment shown), the share answered on time (business hours, per the SLA "
        "policy covering the subject).",
        where=_ACCEPT_DECIDED,
        **_ACCEPT_SLA,
    ),
    _account_metric(
        "mqa_acceptance_rate",
        "MQA acceptance rate",
        "Of the MQAs (marketing-qualified accounts) sales answered in the window, by the date "
        "of the answer, the share accepted rather than rejected with a reason.",
        where=f"answered_s IS NOT NULL AND {_MQA}",
        **_ACCEPTANCE,
    ),
    _account_metric(
        "mqa_accept_sla",
        "MQA SLA attainment",
        "Of the MQAs handed to sales in the window whose accept clock is decided (answered, "
        "or due by the moment shown), the share answered within the SLA (business hours).",
        where=f"{_ACCEPT_DECIDED} AND {_MQA}",
        **_ACCEPT_SLA,
    ),
)
