"""A user's own display preferences (the time zone dates are shown in)."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base


class UserPreference(Base):
    """One row per user who changed a preference; without one the workspace's settings apply."""

    __tablename__ = "user_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    time_zone: Mapped[str | None] = mapped_column(String(64))
