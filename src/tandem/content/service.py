"""The library: create, edit, archive, find. Keyword-only functions, session first, raising
domain errors (the routes and the CLI translate them)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from tandem.activities.models import Activity
from tandem.audit import service as audit
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.content.definitions import active_taxonomy
from tandem.content.models import (
    Asset,
    AssetDealUse,
    AssetFeedback,
    AssetShare,
    AssetStatus,
)
from tandem.content.schemas import AssetIn, AssetRow, Facet, LibraryView
from tandem.content.taxonomy import asset_problems
from tandem.db import utcnow

EDITORS = frozenset({Role.ADMIN, Role.MARKETER, Role.SALES_MANAGER})
FACETS = ("journey_stage", "persona", "type", "product")
AUDITED = ("title", "type", "journey_stage", "description", "url", "personas", "buying_roles",
           "products", "owner_id", "published_on", "expires_on", "status")  # fmt: skip


class ContentError(Exception):
    """A content request that cannot be done, said so the user can fix it."""


class NotFound(ContentError):
    pass


class AssetNotFound(NotFound):
    pass


class NotAllowed(ContentError):
    pass


class AssetInvalid(ContentError):
    """The asset's fields break the taxonomy or a rule: `problems` is [(field, reason)]."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems))


def can_create(user: User) -> bool:
    return user.role in EDITORS


def can_edit(user: User, asset: Asset) -> bool:
    """Marketers, sales managers and admins edit any asset; anyone else only their own."""
    return user.role in EDITORS or (asset.owner_id is not None and asset.owner_id == user.id)


def get_asset(db_session: Session, asset_id: int) -> Asset:
    asset = db_session.get(Asset, asset_id)
    if asset is None:
        raise AssetNotFound(f"no asset {asset_id}")
    return asset


def _checked(db_session: Session, data: AssetIn, asset_id: int | None = None) -> dict[str, Any]:
    taxonomy = active_taxonomy(db_session)
    problems = asset_problems(
        taxonomy, stage=data.journey_stage, type=data.type, personas=data.personas
    )
    if data.expires_on and data.published_on and data.expires_on < data.published_on:
        problems.append(("expires_on", "is before published_on"))
    if data.owner_id is not None and db_session.get(User, data.owner_id) is None:
        problems.append(("owner_id", f"no user {data.owner_id}"))
    values = data.model_dump()
    values["url"] = str(data.url) if data.url else None
    if values["url"]:
        taken = db_session.scalar(select(Asset.id).where(Asset.url == values["url"]))
        if taken is not None and taken != asset_id:
            problems.append(("url", f"already the URL of asset {taken}"))
    if data.external_id:
        taken = db_session.scalar(select(Asset.id).where(Asset.external_id == data.external_id))
        if taken is not None and taken != asset_id:
            problems.append(("external_id", f"already the id of asset {taken}"))
    if problems:
        raise AssetInvalid(problems)
    return values


def _snapshot(asset: Asset) -> dict[str, Any]:
    out = {}
    for name in AUDITED:
        value = getattr(asset, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def create_asset(db_session: Session, *, data: AssetIn, by: User) -> Asset:
    """A new asset, its tags checked against the active taxonomy (AssetInvalid names fields)."""
    if not can_create(by):
        raise NotAllowed("only marketers, sales managers and admins add assets")
    values = _checked(db_session, data)
    if values["owner_id"] is None:
        values["owner_id"] = by.id
    asset = Asset(**values)
    if asset.status == AssetStatus.ARCHIVED:
        asset.archived_at = utcnow()
    db_session.add(asset)
    db_session.flush()
    audit.record(db_session=db_session, actor_user_id=by.id, action="content.asset.create",
                 entity_type="asset", entity_id=asset.id, after=_snapshot(asset))  # fmt: skip
    return asset


def update_asset(db_session: Session, *, asset_id: int, data: AssetIn, by: User) -> Asset:
    """Edit (and re-tag) an asset; archiving through an edit stamps `archived_at`."""
    asset = get_asset(db_session, asset_id)
    if not can_edit(by, asset):
        raise NotAllowed("only the asset's owner, marketers, sales managers and admins edit it")
    values = _checked(db_session, data, asset_id)
    before = _snapshot(asset)
    if values["owner_id"] is None:
        values["owner_id"] = asset.owner_id
    if values["external_id"] is None:
        values["external_id"] = asset.external_id
    for name, value in values.items():
        setattr(asset, name, value)
    if asset.status == AssetStatus.ARCHIVED and asset.archived_at is None:
        asset.archived_at = utcnow()
    elif asset.status != AssetStatus.ARCHIVED:
        asset.archived_at = None
    if asset.expires_on != before["expires_on"]:
        asset.expiry_notified_on = None  # a new expiry date is told again
    db_session.flush()
    audit.record(db_session=db_session, actor_user_id=by.id, action="content.asset.update",
                 entity_type="asset", entity_id=asset.id, before=before,
                 after=_snapshot(asset))  # fmt: skip
    return asset


def archive_asset(db_session: Session, *, asset_id: int, by: User) -> Asset:
    """Archive one asset: it leaves the library's default view and its links stop serving."""
    asset = get_asset(db_session, asset_id)
    if not can_edit(by, asset):
        raise NotAllowed("only the asset's owner, marketers, sales managers and admins archive it")
    if asset.status != AssetStatus.ARCHIVED:
        before = _snapshot(asset)
        asset.status, asset.archived_at = AssetStatus.ARCHIVED, utcnow()
        db_session.flush()
        audit.record(db_session=db_session, actor_user_id=by.id, action="content.asset.archive",
                     entity_type="asset", entity_id=asset.id, before=before,
                     after=_snapshot(asset))  # fmt: skip
    return asset


def attach_file(db_session: Session, *, asset_id: int, file_name: str, by: User) -> Asset:
    asset = get_asset(db_session, asset_id)
    if not can_edit(by, asset):
        raise NotAllowed("only the asset's owner, marketers, sales managers and admins edit it")
    asset.file_name = file_name
    db_session.flush()
    return asset


# --- finding assets -------------------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_terms(q: str) -> list[str]:
    """The words of a query, lower-cased (at most 8, each at most 100 characters)."""
    cleaned = "".join(c for c in q if c.isprintable() or c.isspace())  # no NUL in SQL text
    return [w[:100] for w in cleaned.lower().split()][:8]


def usage(db_session: Session, asset_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Shares, buyer views (activities naming the asset), deal uses and ratings per asset."""
    out: dict[int, dict[str, Any]] = {
        i: {"shares": 0, "buyer_views": 0, "deal_uses": 0, "rating": None, "ratings": 0}
        for i in asset_ids
    }
    if not asset_ids:
        return out
    queries = {
        "shares": select(AssetShare.asset_id, func.count()).group_by(AssetShare.asset_id)
        .where(AssetShare.asset_id.in_(asset_ids)),
        "buyer_views": select(Activity.asset_id, func.count()).group_by(Activity.asset_id)
        .where(Activity.asset_id.in_(asset_ids)),
        "deal_uses": select(AssetDealUse.asset_id, func.count()).group_by(AssetDealUse.asset_id)
        .where(AssetDealUse.asset_id.in_(asset_ids)),
    }  # fmt: skip
    for name, query in queries.items():
        for asset_id, n in db_session.execute(query):
            out[asset_id][name] = n
    ratings = (
        select(AssetFeedback.asset_id, func.avg(AssetFeedback.rating), func.count())
        .where(AssetFeedback.asset_id.in_(asset_ids))
        .group_by(AssetFeedback.asset_id)
    )
    for asset_id, avg, n in db_session.execute(ratings):
        out[asset_id]["rating"], out[asset_id]["ratings"] = round(float(avg), 2), n
    return out


def row_of(asset: Asset, stats: dict[str, Any], owner: str | None, today: date) -> AssetRow:
    return AssetRow(
        id=asset.id, title=asset.title, type=asset.type, journey_stage=asset.journey_stage,
        description=asset.description, url=asset.url, file_name=asset.file_name,
        personas=list(asset.personas or []), buying_roles=list(asset.buying_roles or []),
        products=list(asset.products or []), owner_id=asset.owner_id, owner_name=owner,
        published_on=asset.published_on, expires_on=asset.expires_on, status=asset.status,
        expired=bool(asset.expires_on and asset.expires_on < today),
        external_id=asset.external_id, updated_at=asset.updated_at, **stats,
    )  # fmt: skip


def library(
    db_session: Session,
    *,
    q: str = "",
    stage: str | None = None,
    persona: str | None = None,
    type: str | None = None,
    product: str | None = None,
    status: str | None = None,
    user: User | None = None,
    limit: int = 500,
) -> LibraryView:
    """Assets matching every word of `q` (title, description, type, tags) and the filters,
    with the facets of what the search found. Archived assets show only when asked for."""
    query = select(Asset, User.name).outerjoin(User, User.id == Asset.owner_id)
    if status:
        query = query.where(Asset.status == status)
    else:
        query = query.where(Asset.status != AssetStatus.ARCHIVED)
    for term in search_terms(q):
        pattern = _like(term)
        query = query.where(
            or_(
                func.lower(Asset.title).like(pattern, escape="\\"),
                func.lower(func.coalesce(Asset.description, "")).like(pattern, escape="\\"),
                func.lower(Asset.type).like(pattern, escape="\\"),
                func.lower(cast(Asset.personas, String)).like(pattern, escape="\\"),
                func.lower(cast(Asset.products, String)).like(pattern, escape="\\"),
            )
        )
    found = db_session.execute(query.order_by(Asset.title, Asset.id)).all()
    taxonomy = active_taxonomy(db_session)
    wanted = {"journey_stage": stage, "persona": persona, "type": type, "product": product}

    def values(asset: Asset, facet: str) -> list[str]:
        if facet == "persona":
            return list(asset.personas or [])
        if facet == "product":
            return list(asset.products or [])
        return [getattr(asset, facet)]

    def keep(asset: Asset, skip: str | None = None) -> bool:
        return all(
            not want or want in values(asset, facet)
            for facet, want in wanted.items()
            if facet != skip
        )

    facets: dict[str, list[Facet]] = {}
    labels = {"journey_stage": taxonomy.stages, "persona": taxonomy.personas,
              "type": taxonomy.types, "product": {}}  # fmt: skip
    for facet in FACETS:
        # Each facet counts what the other filters leave, so a chosen value can be swapped.
        counts = Counter(v for a, _ in found if keep(a, facet) for v in values(a, facet))
        order = list(labels[facet]) + sorted(set(counts) - set(labels[facet]))
        facets[facet] = [
            Facet(
                value=v, label=labels[facet].get(v, v), count=counts[v], selected=wanted[facet] == v
            )  # fmt: skip
            for v in order
            if counts[v] or wanted[facet] == v
        ]
    kept = [(a, owner) for a, owner in found if keep(a)]
    shown = kept[:limit]
    stats = usage(db_session, [a.id for a, _ in shown])
    today = utcnow().date()
    return LibraryView(
        q=q,
        filters={k: v for k, v in wanted.items() if v} | ({"status": status} if status else {}),
        total=len(kept),
        rows=[row_of(a, stats[a.id], owner, today) for a, owner in shown],
        facets=facets,
        can_create=bool(user and can_create(user)),
    )


def asset_row(db_session: Session, asset: Asset) -> AssetRow:
    owner = db_session.get(User, asset.owner_id) if asset.owner_id else None
    stats = usage(db_session, [asset.id])[asset.id]
    return row_of(asset, stats, owner.name if owner else None, utcnow().date())


def owner_ids_by_email(db_session: Session, emails: list[str]) -> dict[str, int]:
    if not emails:
        return {}
    rows = db_session.execute(
        select(func.lower(User.email), User.id).where(
            func.lower(User.email).in_([e.lower() for e in emails])
        )
    )
    return dict(rows.all())
