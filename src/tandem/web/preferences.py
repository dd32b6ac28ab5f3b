"""A user's display preferences: the time zone their dates are shown in (the workspace's,
`TANDEM_TIME_ZONE`, until they choose one)."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.errors import DomainError
from tandem.web.models import UserPreference


class UnknownTimeZone(DomainError):
    """Not a time zone of the IANA database."""

    status = 422


@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone name, sorted (for the settings form)."""
    return tuple(sorted(available_timezones()))


def time_zone(db_session: Session, user_id: int) -> str | None:
    """The user's own time zone, or None (the workspace's applies)."""
    return db_session.scalar(
        select(UserPreference.time_zone).where(UserPreference.user_id == user_id)
    )


def set_time_zone(db_session: Session, user_id: int, zone: str | None) -> None:
    """Choose a time zone (None or empty: back to the workspace's)."""
    if zone and zone not in time_zones():
        raise UnknownTimeZone(f"time zone {zone[:60]!r} is not one such as Europe/Paris")
    row = db_session.get(UserPreference, user_id)
    if row is None:
        row = UserPreference(user_id=user_id)
        db_session.add(row)
    row.time_zone = zone or None
    db_session.flush()
