"""Position models: first touch, last touch, linear, U-shaped, W-shaped, full path, custom.

All of them are one rule over "anchors" with percentages (see `default.yaml`):

* an anchor picks touches: ``first``/``last``/``position:N`` by position in the journey,
  ``first_touch``/``lead_creation``/``opportunity_creation``/``close`` by milestone flag;
  its weight is split equally among the touches it picks (normally exactly one);
* ``rest`` is split equally among the touches no other (weighted) anchor picked;
* several anchors on one touch add up (one touch carrying first touch and lead creation gets
  both shares in W-shaped);
* an anchor that picks nothing in a journey (a missing milestone, an empty middle) gives its
  weight back: every present anchor is scaled up in proportion, so credit is never lost.

Hence U-shaped 40/20/40 gives 100% to a single touch and 50/50 to two touches, and W-shaped
without a lead-creation touch gives 3/7, 3/7 and 1/7.
"""

import re
from collections.abc import Mapping

import numpy as np

from tandem.attribution.batch import JourneyBatch
from tandem.attribution.config import AttributionConfig
from tandem.attribution.registry import register
from tandem.attribution.touchpoints import MILESTONES


def position_weights(batch: JourneyBatch, weights: Mapping[str, float]) -> np.ndarray:
    """Per-touch weight fractions (summing to 1 per journey) for anchor `weights`."""
    journey = batch.journey_of_touch
    n_journeys = len(batch.lengths)
    numerator = np.zeros(len(journey))
    present = np.zeros(n_journeys)
    taken = np.zeros(len(journey), dtype=bool)
    buckets = [(a, w) for a, w in weights.items() if a != "rest" and w > 0]
    if weights.get("rest", 0) > 0:
        buckets.append(("rest", weights["rest"]))  # rest last: it needs the others' picks
    for anchor, weight in buckets:
        picked = ~taken if anchor == "rest" else _pick(batch, anchor)
        count = np.bincount(journey[picked], minlength=n_journeys)
        numerator[picked] += weight / count[journey[picked]]
        present += weight * (count > 0)
        taken |= picked
    total = present[journey]
    # A journey where no anchor picks anything gets zeros; the cent allocator then splits it
    # equally, so even a custom model like {lead_creation: 100} never loses credit.
    return np.divide(numerator, total, out=np.zeros_like(numerator), where=total > 0)


def _pick(batch: JourneyBatch, anchor: str) -> np.ndarray:
    if anchor in MILESTONES:
        return batch.has_milestone(anchor)
    position = batch.position
    length = np.repeat(batch.lengths, batch.lengths)
    if anchor == "first":
        return position == 0
    if anchor == "last":
        return position == length - 1
    match = re.fullmatch(r"position:(-?\d+)", anchor)
    if match is None:
        raise ValueError(f"unknown anchor {anchor!r}")
    k = int(match.group(1))
    return position == (k if k >= 0 else length + k)


@register("first_touch")
def first_touch(batch: JourneyBatch, config: AttributionConfig) -> np.ndarray:
    """All credit to the first touch in the window."""
    return position_weights(batch, {"first": 100.0})


@register("last_touch")
def last_touch(batch: JourneyBatch, config: AttributionConfig) -> np.ndarray:
    """All credit to the last touch in the window."""
    return position_weights(batch, {"last": 100.0})


@register("linear")
def linear(batch: JourneyBatch, config: AttributionConfig) -> np.ndarray:
    """Equal credit to every touch (a channel touched twice gets two shares)."""
    return position_weights(batch, {"rest": 100.0})


@register("u_shaped")
def u_shaped(batch: JourneyBatch, config: AttributionConfig) -> np.ndarray:
    """Position-based: first and last touch, the middle sharing the rest (40/20/40)."""
    return position_weights(batch, config.u_shaped)


@register("w_shaped")
def w_shaped(batch: JourneyBatch, config: AttributionConfig) -> np.ndarray:
    """First touch, lead creation and opportunity creation, the rest shared (30/30/30/10)."""
    return position_weights(batch, config.w_shaped)


@register("full_path")
def full_path(batch: JourneyBatch, config: AttributionConfig) -> np.ndarray:
    """W-shaped plus the close touch (22.5 x 4, 10 shared)."""
    return position_weights(batch, config.full_path)


@register("time_decay")
def time_decay(batch: JourneyBatch, config: AttributionConfig) -> np.ndarray:
    """Weight halves every `half_life_days` of age, age measured back from the journey's as_of.

    Touches after `as_of` count as age 0. Weights are computed relative to the youngest touch
    of each journey, so very old touches never underflow the whole journey to zero.
    """
    lengths = batch.lengths
    as_of = np.repeat(batch.as_of_s, lengths)
    age_days = np.maximum(as_of - batch.occurred_s, 0.0) / 86_400.0
    # Touches are time-ordered, so each journey's youngest touch is its last.
    last = batch.offsets[1:] - 1
    youngest = np.zeros(len(lengths))
    youngest[lengths > 0] = age_days[last[lengths > 0]]
    relative = age_days - np.repeat(youngest, lengths)
    return np.exp2(-relative / config.time_decay.half_life_days)
