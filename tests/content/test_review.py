"""The weekly review's content section: shares by rep, top assets by views, the largest gap."""

from datetime import UTC, date, datetime, timedelta

from tandem.analytics.periods import Period
from tandem.analytics.snapshot import load_facts
from tandem.content import review
from tandem.content.models import AssetShare
from tests import factories as f

WEEK = Period("2026-W10", date(2026, 3, 2), date(2026, 3, 9))
AS_OF = datetime(2026, 3, 10, tzinfo=UTC)


def test_the_section_counts_the_week_from_the_registry(db, people):
    acme = f.account(db, name="Acme")
    buyer = f.contact(db, account_id=acme.id)
    pricing = f.asset(db, title="Pricing", journey_stage="decision", personas=["cfo"])
    guide = f.asset(db, title="Guide", journey_stage="awareness", personas=["cfo"])
    inside = datetime(2026, 3, 4, tzinfo=UTC)
    for at, asset in ((inside, pricing), (inside, pricing), (inside, guide)):
        f.activity(db, buyer, type="content_view", at=at, asset_id=asset.id)
    f.activity(db, buyer, type="content_view", at=inside - timedelta(days=10), asset_id=guide.id)
    for n, (user, at) in enumerate(
        ((people.rep, inside), (people.rep, inside), (people.other_rep, inside - timedelta(days=9)))
    ):
        db.add(
            AssetShare(
                asset_id=pricing.id,
                user_id=user.id,
                contact_id=buyer.id,
                batch=f"b{n}",
                token_hash=f"{n:064d}",
                created_at=at,
            )
        )
    db.flush()
    panels = review.sections(
        db_session=db, facts=load_facts(db_session=db, loaded_at=AS_OF), week=WEEK, as_of=AS_OF
    )
    shared, viewed, gap = panels
    assert shared.title == "Content shared by sales (2 links)"
    assert shared.chart.categories == ["Rae Rep"] and shared.chart.series[0].values == [2]
    assert viewed.table.rows == [["Pricing", "2"], ["Guide", "1"]]
    assert gap.title == "Largest content gap"
