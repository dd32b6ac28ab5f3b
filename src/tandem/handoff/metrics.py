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
