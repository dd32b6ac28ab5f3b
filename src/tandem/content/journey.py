"""Buyer-journey stages that content is tagged with."""

from enum import StrEnum


class JourneyStage(StrEnum):
    """Where in the buyer's journey an asset helps."""

    AWARENESS = "awareness"
    CONSIDERATION = "consideration"
    DECISION = "decision"
    ONBOARDING = "onboarding"  # customers
    EXPANSION = "expansion"  # customers
