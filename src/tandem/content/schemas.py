"""The content library's view-models: what the pages render and the API returns."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from tandem.ids import BodyId

STATUSES = ("draft", "live", "archived")


def _tags(value: object) -> list[str]:
    """A list of keys from a list or a `a, b; c` text, folded to lower_snake_case."""
    text = str(value or "").replace(";", ",")
    items = value if isinstance(value, list | tuple) else text.split(",")
    out = []
    for item in items:
        key = "_".join(str(item).strip().lower().replace("-", " ").split())
        if key and key not in out:
            out.append(key)
    return out


def _names(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else str(value or "").split(";")
    out = []
    for item in items:
        name = " ".join(str(item).split())
        if name and name not in out:
            out.append(name[:100])
    return out


class AssetIn(BaseModel):
    """An asset as created (the form, the API, one import row)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    type: str = Field(min_length=1, max_length=40)
    journey_stage: str | None = Field(default=None, max_length=20)
    description: str | None = Field(default=None, max_length=5000)
    url: HttpUrl | None = None
    personas: list[str] = []
    buying_roles: list[str] = []
    products: list[str] = []
    owner_id: BodyId | None = None
    published_on: date | None = None
    expires_on: date | None = None
    status: str = "live"
    external_id: str | None = Field(default=None, max_length=100)

    @field_validator("title", "description", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return " ".join(value.split()) if isinstance(value, str) and "\n" not in value else value

    @field_validator("type", "journey_stage", mode="before")
    @classmethod
    def _key(cls, value: object) -> object:
        return (_tags(value) or [None])[0] if isinstance(value, str) else value

    @field_validator("personas", "buying_roles", mode="before")
    @classmethod
    def _list(cls, value: object) -> list[str]:
        return _tags(value)

    @field_validator("products", mode="before")
    @classmethod
    def _products(cls, value: object) -> list[str]:
        return _names(value)

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value not in STATUSES:
            raise ValueError(f"one of {', '.join(STATUSES)}")
        return value


class AssetUpdate(AssetIn):
    """An edit: the same fields (a form sends them all)."""


class AssetRow(BaseModel):
    """One asset in the library, with how it is used."""

    id: int
    title: str
    type: str
    journey_stage: str
    description: str | None
    url: str | None
    file_name: str | None
    personas: list[str]
    buying_roles: list[str]
    products: list[str]
    owner_id: int | None
    owner_name: str | None = None
    published_on: date | None
    expires_on: date | None
    status: str
    expired: bool = False
    external_id: str | None = None
    shares: int = 0
    buyer_views: int = 0
    deal_uses: int = 0
    rating: float | None = None
    ratings: int = 0
    updated_at: datetime | None = None


class Facet(BaseModel):
    value: str
    label: str
    count: int
    selected: bool = False


class LibraryView(BaseModel):
    """The library page: the assets found and the facets to narrow them."""

    q: str = ""
    filters: dict[str, str] = {}
    total: int
    rows: list[AssetRow]
    facets: dict[str, list[Facet]]
    can_create: bool = False


class ShareIn(BaseModel):
    """One share action: an asset to one or many contacts (by id or email)."""

    model_config = ConfigDict(extra="forbid")

    contact_ids: list[BodyId] = Field(default=[], max_length=200)
    emails: list[str] = Field(default=[], max_length=200)
    deal_id: BodyId | None = None
    note: str | None = Field(default=None, max_length=2000)


class ShareLink(BaseModel):
    contact_id: int
    email: str
    share_id: int
    url: str  # shown once: only the token's hash is stored


class Refusal(BaseModel):
    recipient: str
    reason: str


class ShareResult(BaseModel):
    asset_id: int
    batch: str | None
    links: list[ShareLink]
    refused: list[Refusal]
    warnings: list[str]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class FeedbackRow(BaseModel):
    user_id: int
    user_name: str
    rating: int
    comment: str | None
    updated_at: datetime


class DealUseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deal_id: BodyId


class ShareRow(BaseModel):
    id: int
    batch: str
    contact_id: int
    contact: str
    sharer: str | None
    deal_id: int | None
    created_at: datetime
    views: int
    forwarded_views: int
    last_view_at: datetime | None


class ViewRow(BaseModel):
    contact_id: int
    contact: str
    type: str
    occurred_at: datetime
    forwarded: bool


class AssetDetail(BaseModel):
    asset: AssetRow
    feedback: list[FeedbackRow]
    my_feedback: FeedbackRow | None
    shares: list[ShareRow]
    views: list[ViewRow]
    deals: list[dict[str, object]]
    can_edit: bool
    warnings: list[str]


class UnusedRow(BaseModel):
    """An asset on the purge list, with the evidence."""

    asset_id: int
    title: str
    type: str
    journey_stage: str
    owner_name: str | None
    status: str
    reasons: list[str]
    shares: int
    buyer_views: int
    last_view_at: datetime | None
    expires_on: date | None


class PurgeRow(BaseModel):
    id: int
    status: str
    months: int
    proposed_team: str
    proposed_by: str | None
    decided_by: str | None
    created_at: datetime
    decided_at: datetime | None
    comment: str | None
    evidence: list[dict[str, object]]


class UnusedView(BaseModel):
    months: int
    as_of: datetime
    rows: list[UnusedRow]
    purges: list[PurgeRow]
    can_propose: bool
