"""Marketing channels: the fixed vocabulary campaigns and touches are grouped by."""

from enum import StrEnum


class Channel(StrEnum):
    """Where a touch came from. Imports map vendor source names onto these."""

    ORGANIC_SEARCH = "organic_search"
    PAID_SEARCH = "paid_search"
    PAID_SOCIAL = "paid_social"
    ORGANIC_SOCIAL = "organic_social"
    EMAIL = "email"
    DISPLAY = "display"
    EVENTS = "events"
    WEBINAR = "webinar"
    REFERRAL = "referral"
    DIRECT = "direct"
    CONTENT_SYNDICATION = "content_syndication"
    PARTNER = "partner"
    SALES_OUTREACH = "sales_outreach"
    OTHER = "other"
