"""The content figures in the metric registry, over the `content` relation. Pure.

Influenced revenue is not here: crediting a deal's amount to assets needs an attribution model
over whole journeys, not one SQL aggregate over rows; it is on the content page and
`tandem content influence`, under every model side by side.
"""

from tandem.analytics.relations import CONTACT_DIMENSIONS
from tandem.metrics.spec import Count, Metric

#: Dimensions of a content event: the contact's, the asset (its id as text), its type and
#: journey stage, and the rep who shared it (``rep``, a user id; "unknown" for a view).
CONTENT_DIMENSIONS: tuple[str, ...] = (
    *CONTACT_DIMENSIONS,
    "asset",
    "asset_type",
    "journey_stage",
    "rep",
)

_COLUMNS = ("kind", "asset_id", "asset_type", "journey_stage", "rep", "segment", "at_s")
_DATED = {
    "population": "content",
    "unit": "count",
    "date_by": "at_s",
    "dimensions": CONTENT_DIMENSIONS,
    "columns": _COLUMNS,
}

METRICS: tuple[Metric, ...] = (
    Metric(
        name="content_views",
        label="Content views",
        definition=(
            "Times buyers consumed an asset in the window: every activity naming an asset "
            "(a view, download, webinar attended...) except a rep's share, dated when it "
            "happened."
        ),
        measure=Count(),
        where="kind = 'view'",
        dated="the day it was consumed",
        **_DATED,
    ),
    Metric(
        name="content_shares",
        label="Content shares",
        definition=(
            "Tracked links reps sent buyers in the window, one per recipient of each share; "
            "break it down by rep to see who uses the library."
        ),
        measure=Count(),
        where="kind = 'share'",
        dated="the day it was shared",
        **_DATED,
    ),
)
