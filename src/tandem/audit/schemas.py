"""The audit log as read: one filtered page of events, for the page, the JSON twin and CSV."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditRow(BaseModel):
    """One event: who did what to which entity, when, with the state before and after."""

    id: int
    occurred_at: datetime
    actor_user_id: int | None
    actor: str | None  # the actor's email; None for the system (CLI, scheduler, import)
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditFilters(BaseModel):
    """The filters applied (as given, after validation)."""

    actor: str | None = None
    entity_type: str | None = None
    action: str | None = None
    start: datetime | None = None
    end: datetime | None = None


class AuditPage(BaseModel):
    """A page of the log, newest first, with the filters and the choices for them."""

    filters: AuditFilters
    items: list[AuditRow]
    total: int
    page: int
    pages: int
    entity_types: list[str]
    actions: list[str]
