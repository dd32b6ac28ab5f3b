"""Shares, views and ratings for the demo world (`tandem demo generate`), so the library and
the content dashboard have reps' usage to show: each rep shares a decision or consideration
asset with some of their sales-stage contacts, most recipients open it, a few forward it, and
reps rate what they sent. Deterministic for a seed; written once after the bulk load."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.contacts.models import Contact, SourceKind
from tandem.contacts.sources import source_id
from tandem.content import links
from tandem.content.models import Asset, AssetFeedback, AssetShare
from tandem.ingest.store import insert_new_activities

STAGES = ("sql", "opportunity", "customer")


def seed_demo_shares(db: Session, *, as_of: datetime, seed: int = 42, limit: int = 3000) -> int:
    """Write the demo's shares (at most `limit`) and their views; returns the shares made."""
    rng = random.Random(seed)
    reps = list(db.scalars(select(User.id).where(User.role == Role.SALES_REP.value)))
    assets = list(db.scalars(select(Asset.id).where(
        Asset.journey_stage.in_(("consideration", "decision")), Asset.url.is_not(None)
    ).order_by(Asset.id)))  # fmt: skip
    if not reps or not assets:
        return 0
    contacts = db.execute(
        select(Contact.id, Contact.owner_id, Contact.stage_entered_at)
        .where(Contact.owner_id.in_(reps), Contact.lifecycle_stage.in_(STAGES))
        .order_by(Contact.id)
        .limit(limit)
    ).all()
    demo = source_id(db.connection(), kind=SourceKind.DEMO, name="demo")
    views, rated = [], set()
    for contact_id, rep_id, entered in contacts:
        asset_id = rng.choice(assets)
        at = (entered or as_of - timedelta(days=30)) + timedelta(hours=rng.uniform(2, 96))
        if at >= as_of:
            continue
        token = hashlib.sha256(f"demo:{seed}:{contact_id}:{asset_id}".encode()).hexdigest()
        share = AssetShare(asset_id=asset_id, user_id=rep_id, contact_id=contact_id,
                           batch=f"demo-{rep_id}-{at:%Y%m%d}", token_hash=token,
                           created_at=at)  # fmt: skip
        db.add(share)
        db.flush()
        if rng.random() < 0.65:  # most recipients open it, some twice, a few forward it
            browsers = [(f"{contact_id:016x}"[-16:], False)]
            if rng.random() < 0.12:
                browsers.append((f"{share.id + 7 * 10**9:016x}"[-16:], True))
            for visitor, forwarded in browsers:
                seen = min(at + timedelta(minutes=rng.uniform(5, 72 * 60)), as_of)
                views.append({
                    "idempotency_key": links.view_key(share.id, visitor, seen),
                    "contact_id": contact_id, "type": "content_view", "occurred_at": seen,
                    "received_at": seen, "campaign_id": None, "asset_id": asset_id,
                    "channel": None, "url": None, "source_id": demo,
                    "properties": {"share_id": share.id, "seconds": rng.randint(20, 900),
                                   "pages": None, "forwarded": forwarded, "visitor": visitor},
                })  # fmt: skip
        if (rep_id, asset_id) not in rated and rng.random() < 0.3:
            rated.add((rep_id, asset_id))
            db.add(AssetFeedback(asset_id=asset_id, user_id=rep_id, rating=rng.choice(
                (3, 4, 4, 5, 5, 2)), created_at=at, updated_at=at))  # fmt: skip
    insert_new_activities(db.connection(), views)
    db.flush()
    return len(contacts)
