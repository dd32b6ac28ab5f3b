"""Deal stages, deal types and the reasons deals are lost."""

from enum import StrEnum


class DealStage(StrEnum):
    """Sales pipeline stage of an opportunity."""

    DISCOVERY = "discovery"
    QUALIFICATION = "qualification"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    CLOSED_WON = "closed_won"
    CLOSED_LOST = "closed_lost"


class DealType(StrEnum):
    """New business, expansion of an existing customer, or renewal."""

    NEW = "new"
    UPSELL = "upsell"
    RENEWAL = "renewal"


LOST_REASONS = ("price", "competitor", "no_decision", "timing", "missing_feature", "no_budget")
