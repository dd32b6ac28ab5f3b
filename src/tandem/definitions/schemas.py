"""View-models of definitions: one data path, rendered as the admin page and as JSON."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class VersionView(BaseModel):
    """One version, its status, who proposed and decided it, its YAML and its diff."""

    id: int
    kind: str
    name: str
    version: int
    status: str
    source: str
    note: str | None
    proposed_by: str | None
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str | None
    text: str
    diff: str  # unified diff against the active version ("" for the active one itself)


class IssueView(BaseModel):
    """A validation issue as `file:line: level: field: message`."""

    level: str
    line: int | None
    text: str


class DefinitionPage(BaseModel):
    """A kind of definition: the active version, the proposals, the history, and what this
    user may do (propose; decide which proposals)."""

    kind: str
    title: str
    roles: tuple[str, str]
    active: VersionView | None
    proposals: list[VersionView]
    history: list[VersionView]
    can_propose: bool
    can_decide: list[int]  # proposal ids this user may approve
