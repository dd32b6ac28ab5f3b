"""Multi-touch attribution: pure functions over plain typed data, no I/O, no hidden clock.

Import the public API from here. Importing this package registers the built-in models.
"""

# Built-in models register when their module is imported, in the order `names()` lists them.
from tandem.attribution import positions as _positions  # noqa: F401

# isort: split
from tandem.attribution import markov as _markov  # noqa: F401

# isort: split
from tandem.attribution import shapley as _shapley  # noqa: F401

# isort: split
from tandem.attribution.aggregate import (
    AggregateRow,
    CampaignRoi,
    FunnelCounts,
    aggregate,
    campaign_roi,
)
from tandem.attribution.batch import JourneyBatch, batch_from_frames, batch_from_journeys
from tandem.attribution.config import (
    AttributionConfig,
    AttributionConfigError,
    default_config,
    load_config,
    parse_config,
)
from tandem.attribution.engine import AttributionResult, attribute, attribute_journey
from tandem.attribution.markov import MarkovAttribution, markov_attribution
from tandem.attribution.paths import Paths, paths_from_strings
from tandem.attribution.registry import available, get, names, register, resolve
from tandem.attribution.shapley import ShapleyResult, shapley_values
from tandem.attribution.touchpoints import (
    MILESTONES,
    Journey,
    Touchpoint,
    select_touchpoints,
)
from tandem.attribution.windowing import select_touchpoints_frame

__all__ = [
    "MILESTONES",
    "AggregateRow",
    "AttributionConfig",
    "AttributionConfigError",
    "AttributionResult",
    "CampaignRoi",
    "FunnelCounts",
    "Journey",
    "JourneyBatch",
    "MarkovAttribution",
    "Paths",
    "ShapleyResult",
    "Touchpoint",
    "aggregate",
    "attribute",
    "attribute_journey",
    "available",
    "batch_from_frames",
    "batch_from_journeys",
    "campaign_roi",
    "default_config",
    "get",
    "load_config",
    "markov_attribution",
    "names",
    "parse_config",
    "paths_from_strings",
    "register",
    "resolve",
    "select_touchpoints",
    "select_touchpoints_frame",
    "shapley_values",
]
