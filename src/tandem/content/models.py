"""Assets: the content library, tagged by journey stage and persona."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime, utcnow


class Asset(Base):
    """One piece of content: a whitepaper, case study, video, demo..."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(40))
    journey_stage: Mapped[str] = mapped_column(String(20), index=True)
    persona: Mapped[str | None] = mapped_column(String(60))
    url: Mapped[str | None] = mapped_column(String(2000), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
