"""Buying-committee roles a contact can play on their account."""

from enum import StrEnum


class BuyingRole(StrEnum):
    """The part a contact plays in their account's purchase decision."""

    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    RECOMMENDER = "recommender"
    CHAMPION = "champion"
    USER = "user"
    UNKNOWN = "unknown"
