"""The activity type registry: what kinds of touch Tandem knows, and which team makes them.

Built-in types register through the same `register` call a plugin or later capability uses, so
the registry is the single list the API, importers, scoring validation and attribution consult.
"""

from dataclasses import dataclass
from enum import StrEnum


class Team(StrEnum):
    """Which side of the house a touch comes from."""

    MARKETING = "marketing"
    SALES = "sales"
    PRODUCT = "product"


@dataclass(frozen=True, slots=True)
class ActivityType:
    """One kind of touch: its key, a human label and the team it belongs to."""

    key: str
    label: str
    team: Team


_REGISTRY: dict[str, ActivityType] = {}


def register(key: str, label: str, team: Team) -> ActivityType:
    """Add an activity type (idempotent for an identical definition)."""
    activity_type = ActivityType(key, label, team)
    existing = _REGISTRY.get(key)
    if existing is not None and existing != activity_type:
        raise ValueError(f"activity type {key!r} is already registered differently")
    _REGISTRY[key] = activity_type
    return activity_type


def get(key: str) -> ActivityType:
    """Look up a registered type; raises KeyError naming the unknown key."""
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"unknown activity type {key!r}") from None


def is_known(key: str) -> bool:
    """True when `key` is a registered activity type."""
    return key in _REGISTRY


def all_types() -> list[ActivityType]:
    """Every registered type, in registration order."""
    return list(_REGISTRY.values())


for _key, _label, _team in (
    ("web_visit", "Web visit", Team.MARKETING),
    ("page_view", "Page view", Team.MARKETING),
    ("content_download", "Content download", Team.MARKETING),
    ("form_submit", "Form submit", Team.MARKETING),
    ("email_open", "Email open", Team.MARKETING),
    ("email_click", "Email click", Team.MARKETING),
    ("email_unsubscribe", "Email unsubscribe", Team.MARKETING),
    ("ad_click", "Ad click", Team.MARKETING),
    ("webinar_register", "Webinar registration", Team.MARKETING),
    ("webinar_attend", "Webinar attended", Team.MARKETING),
    ("event_attend", "Event attended", Team.MARKETING),
    ("social_engage", "Social engagement", Team.MARKETING),
    ("demo_request", "Demo request", Team.MARKETING),
    ("sales_email", "Sales email", Team.SALES),
    # A buyer opened the personal link a rep shared (tandem.content): sales' touch.
    ("content_view", "Content viewed (shared link)", Team.SALES),
    ("sales_call", "Sales call", Team.SALES),
    ("meeting", "Meeting", Team.SALES),
    ("product_usage", "Product usage", Team.PRODUCT),
):
    register(_key, _label, _team)
