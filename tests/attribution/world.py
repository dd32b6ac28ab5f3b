"""A small store of deals with known touches, built from real rows, for the DB-layer tests.

Won deal W (10,000, closed T0+30d) of Acme, contacts ann and bob on its roles, cat at Acme
without a role. Lost deal L (5,000) of Acme with bob only. Won deal N (2,500) with a contact
who never touched anything: unattributed.

W's touches with the default window (180 days before creation, contact roles):
a2 first touch (exactly at the window start), a3 (webinar campaign, no activity channel),
a4 lead creation (ann became MQL a day later), a5 opportunity creation (sales call).
Left out: a1 (one second too early), a6 (after creation; in with until_close), c1 (cat's;
in with the account scope).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tests import factories as f
from tests.factories import T0

DAY = timedelta(days=1)


@dataclass
class World:
    won: Any
    lost: Any
    bare: Any
    ads: Any
    webinar: Any
    acts: dict[str, int]


def build(db: Session) -> World:
    acme = f.account(db, name="Acme", region="emea")
    other = f.account(db, name="Other Co")
    ann = f.contact(db, first_name="Ann", last_name="Lee", account_id=acme.id)
    bob = f.contact(db, first_name="Bob", last_name="Ray", account_id=acme.id)
    cat = f.contact(db, first_name="Cat", account_id=acme.id)
    dan = f.contact(db, first_name="Dan", account_id=other.id)
    ads = f.campaign(db, name="Search ads", channel="paid_search", cost=Decimal("500"))
    webinar = f.campaign(db, name="Spring webinar", channel="webinar", cost=Decimal("1000"))
    guide = f.asset(db, title="Buyer guide")
    start = T0 - 180 * DAY
    acts = {
        "a1": f.activity(db, ann, "ad_click", start - timedelta(seconds=1), channel="paid_search",
                         campaign_id=ads.id),
        "a2": f.activity(db, ann, "ad_click", start, channel="paid_search", campaign_id=ads.id),
        "a3": f.activity(db, bob, "webinar_attend", T0 - 50 * DAY, campaign_id=webinar.id,
                         asset_id=guide.id),
        "a4": f.activity(db, ann, "content_download", T0 - 20 * DAY, channel="organic_search",
                         asset_id=guide.id),
        "a5": f.activity(db, bob, "sales_call", T0 - DAY, channel="sales_outreach"),
        "a6": f.activity(db, ann, "meeting", T0 + 5 * DAY, channel="sales_outreach"),
        "c1": f.activity(db, cat, "web_visit", T0 - 10 * DAY, channel="direct"),
    }  # fmt: skip
    f.transition(db, ann, "lead", "mql", T0 - 19 * DAY)
    f.transition(db, ann, "sal", "sql", T0 - 5 * DAY)
    f.transition(db, bob, "lead", "mql", T0 - 400 * DAY)  # an earlier cycle: not this deal's
    won = f.opportunity(
        db, acme, name="Acme platform", amount=Decimal("10000"), created_at=T0,
        closed_at=T0 + 30 * DAY, is_closed=True, is_won=True, stage="closed_won",
        segment="enterprise", contacts=[(ann, "decision_maker"), (bob, "champion")],
    )  # fmt: skip
    lost = f.opportunity(
        db, acme, name="Acme add-on", amount=Decimal("5000"), created_at=T0 + 10 * DAY,
        closed_at=T0 + 40 * DAY, is_closed=True, is_won=False, stage="closed_lost",
        segment="enterprise", contacts=[(bob, "champion")],
    )  # fmt: skip
    bare = f.opportunity(
        db, other, name="Other renewal", amount=Decimal("2500"), created_at=T0,
        closed_at=T0 + 60 * DAY, is_closed=True, is_won=True, stage="closed_won",
        segment="smb", contacts=[(dan, "user")],
    )  # fmt: skip
    return World(won, lost, bare, ads, webinar, {k: v.id for k, v in acts.items()})
