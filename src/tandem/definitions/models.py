"""The definition versions table: every version of every definition, and who decided on it."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tandem.db import Base, UTCDateTime


class DefinitionStatus:
    """Where a version stands. Plain strings so SQL filters and JSON read the same."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class DefinitionVersion(Base):
    """One version of a definition of some kind (`routing`, `sla`...), its YAML as proposed.

    `active_key` is `kind:name` on the active version and NULL elsewhere; its unique index lets
    the database itself refuse a second active version, whatever two approvers do at once.
    """

    __tablename__ = "definition_versions"
    __table_args__ = (
        UniqueConstraint("kind", "name", "version", name="uq_definition_versions_version"),
        Index("uq_definition_versions_active", "active_key", unique=True),
        Index("ix_definition_versions_kind_status", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=DefinitionStatus.PROPOSED)
    active_key: Mapped[str | None] = mapped_column(String(150))
    source: Mapped[str] = mapped_column(String(300))  # web, cli, api, file:<path>, demo
    note: Mapped[str | None] = mapped_column(String(2000))
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_definition_versions_proposed_by")
    )
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_definition_versions_decided_by")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(2000))
