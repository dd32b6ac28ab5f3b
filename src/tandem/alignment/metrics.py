"""Two figures the alignment survey sets beside what people say, added to the metric
registry from this capability's manifest. Pure."""

from tandem.analytics.dims import DIMENSIONS
from tandem.analytics.relations import CONTACT_DIMENSIONS
from tandem.metrics.spec import Metric, Share

_KNOWN = " AND ".join(f"{d} <> 'unknown'" for d in ("segment", "region", "vertical", "channel"))

METRICS: tuple[Metric, ...] = (
    Metric(
        name="data_completeness",
        label="Contact data complete",
        definition=(
            "Of the contacts created in the window, the share whose segment, region, vertical "
            "and channel are all known: the shared records both teams report from."
        ),
        population="contacts",
        measure=Share(_KNOWN),
        unit="percent",
        date_by="created_s",
        dated="the day the contact was created",
        dimensions=CONTACT_DIMENSIONS,
        columns=("stage", "segment", "region", "vertical", "channel", "source", "created_s"),
    ),
    Metric(
        name="rejections_with_reason",
        label="Rejections with a reason",
        definition=(
            "Of the MQLs sales rejected in the window (recycled to nurture or disqualified, by "
            "the date of the answer), the share rejected with a reason code marketing can act "
            "on."
        ),
        population="answers",
        measure=Share("reason IS NOT NULL AND reason <> ''"),
        unit="percent",
        date_by="at_s",
        dated="the date of the answer",
        where="from_stage = 'mql' AND to_stage IN ('nurture', 'disqualified')",
        dimensions=DIMENSIONS,
        record="transition",
        columns=("from_stage", "to_stage", "reason", "segment", "channel", "at_s"),
    ),
)
