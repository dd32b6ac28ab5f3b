"""Search results: one list of hits per kind of record, each hit a link its viewer may open."""

from typing import Literal

from pydantic import BaseModel

Kind = Literal["contact", "account", "deal", "campaign", "asset"]


class Hit(BaseModel):
    kind: Kind
    id: int
    label: str  # what the record is called
    detail: str | None = None  # what tells two of the same name apart (email, domain, amount)
    url: str  # the page that opens it


class Group(BaseModel):
    kind: Kind
    title: str
    hits: list[Hit]
    more: bool  # more records match than the group shows


class SearchResults(BaseModel):
    q: str
    groups: list[Group]

    @property
    def total_shown(self) -> int:
        return sum(len(g.hits) for g in self.groups)
