"""The content analytics read from the store: influence, gaps, suggestions, packet content."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tandem.analytics.snapshot import load_facts
from tandem.content import analytics_service as service
from tests import factories as f

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
T = datetime(2026, 3, 1, tzinfo=UTC)


def seed(db):
    acme = f.account(db, name="Acme", employees=50)
    other = f.account(db, name="Other", employees=60)
    pricing = f.asset(
        db, title="Pricing", journey_stage="decision", personas=["cfo"], status="live"
    )
    study = f.asset(
        db, title="Case study", journey_stage="decision", personas=["cfo"], status="live"
    )
    guide = f.asset(db, title="Guide", journey_stage="awareness", personas=["cto"], status="live")
    old = f.asset(db, title="Old deck", journey_stage="decision", personas=[], status="archived")
    ann, bob, cid = (f.contact(db, account_id=acme.id) for _ in range(3))
    dan = f.contact(db, account_id=other.id)
    lead = f.contact(db, account_id=other.id)
    for who, asset, day in (
        (ann, pricing, 1),
        (bob, study, 3),
        (cid, old, 4),
        (dan, pricing, 2),
        (dan, guide, 5),
        (lead, pricing, 1),
    ):
        f.activity(db, who, type="content_view", at=T + timedelta(days=day), asset_id=asset.id)
    f.activity(
        db, ann, type="content_view", at=T + timedelta(days=90), asset_id=guide.id
    )  # after close
    won = f.opportunity(
        db,
        acme,
        amount=Decimal("30000"),
        created_at=T,
        closed_at=T + timedelta(days=30),
        is_closed=True,
        is_won=True,
        stage="won",
        contacts=[(ann, "champion"), (bob, "user")],
    )
    unknown = f.opportunity(
        db,
        other,
        amount=None,
        created_at=T,
        closed_at=T + timedelta(days=30),
        is_closed=True,
        is_won=True,
        stage="won",
    )  # no roles: the account's contacts (dan, lead) are its committee
    lost = f.opportunity(
        db,
        acme,
        amount=Decimal("5000"),
        created_at=T,
        closed_at=T + timedelta(days=20),
        is_closed=True,
        is_won=False,
        stage="lost",
        contacts=[(cid, "user")],
    )
    db.flush()
    return {
        "won": won,
        "unknown": unknown,
        "lost": lost,
        "pricing": pricing,
        "study": study,
        "guide": guide,
        "old": old,
        "lead": lead,
        "dan": dan,
    }


def test_influence_credits_won_revenue_and_counts_unknown_amounts(db):
    w = seed(db)
    facts = load_facts(db_session=db, loaded_at=AS_OF)
    report = service.influence_report(db, facts=facts, as_of=AS_OF)
    assert (
        report.won_deals,
        report.credited_deals,
        report.unknown_amount,
        report.without_content,
    ) == (2, 1, 1, 0)
    rows = {r.asset_id: r for r in report.rows}
    assert rows[w["pricing"].id].credits["first_touch"] == Decimal("30000.00")
    assert rows[w["study"].id].credits["last_touch"] == Decimal("30000.00")
    assert rows[w["pricing"].id].credits["linear"] == Decimal("15000.00")
    for model in report.models:
        assert sum(r.credits[model] for r in report.rows) == Decimal("30000.00")
    assert rows[w["pricing"].id].won_deals == 2 and rows[w["pricing"].id].unknown_amount == 1
    assert rows[w["pricing"].id].won_revenue == Decimal("30000.00")
    assert rows[w["old"].id].closed_deals == 1 and rows[w["old"].id].won_deals == 0
    assert rows[w["pricing"].id].comparison.verdict == "too few deals"
    by_stage = {
        r.key: r
        for r in service.influence_report(db, facts=facts, as_of=AS_OF, by="journey_stage").rows
    }
    assert by_stage["decision"].credits["linear"] == Decimal("30000.00")
    assert by_stage["decision"].won_deals == 2


def test_suggestions_exclude_what_was_seen_and_say_why(db):
    w = seed(db)
    facts = load_facts(db_session=db, loaded_at=AS_OF)
    report = service.suggest_report(db, facts=facts, as_of=AS_OF, contact_id=w["lead"].id)
    assert [c.title for c in report.seen] == ["Pricing"]
    ids = [s.asset_id for s in report.suggestions]
    assert w["pricing"].id not in ids and w["old"].id not in ids  # seen; archived
    assert all("won deals" in s.because for s in report.suggestions)
    packet = service.packet_content(db, facts=facts, contact_id=w["lead"].id, as_of=AS_OF)
    assert packet.consumed == report.seen and packet.suggestions == report.suggestions
    deal = service.suggest_report(db, facts=facts, as_of=AS_OF, deal_id=w["unknown"].id)
    assert {c.title for c in deal.seen} == {"Pricing", "Guide"}


def test_gaps_report_rates_every_cell(db):
    seed(db)
    facts = load_facts(db_session=db, loaded_at=AS_OF)
    report = service.gaps_report(db, facts=facts, as_of=AS_OF)
    cells = {(c.journey_stage, c.persona): c for c in report.cells}
    assert (
        cells[("decision", "cfo")].rating == "covered"
        and cells[("decision", "cfo")].live_assets == 2
    )
    assert cells[("awareness", "cfo")].rating == "none"
    assert len(report.cells) == 5 * 2


def test_unknown_contact_or_deal_is_a_domain_error(db):
    from tandem.errors import DomainError, NotFound

    facts = load_facts(db_session=db, loaded_at=AS_OF)
    with pytest.raises(NotFound):
        service.suggest_report(db, facts=facts, as_of=AS_OF, contact_id=999999)
    with pytest.raises(DomainError):
        service.suggest_report(db, facts=facts, as_of=AS_OF)


def test_the_columnar_purge_rule_equals_the_library_s(db):
    from tandem.content import frames, gaps, purge
    from tandem.content.models import AssetDealUse

    w = seed(db)
    db.add(AssetDealUse(asset_id=w["study"].id, deal_id=w["won"].id, created_at=AS_OF))
    db.flush()
    connection = db.connection()
    library = frames.assets(connection).join(
        frames.pl.DataFrame({"asset_id": [w["pricing"].id]}), on="asset_id", how="anti"
    )  # the pure rule reads the same columns the store has
    from sqlalchemy import select

    from tandem.activities.models import Activity
    from tandem.content.models import Asset

    expires = frames.pl.DataFrame(
        db.execute(select(Asset.id, Asset.expires_on)).all(),
        schema={"asset_id": frames.pl.Int64, "expires_on": frames.pl.Date},
        orient="row",
    )
    views = frames.pl.DataFrame(
        db.execute(
            select(Activity.asset_id, Activity.occurred_at).where(Activity.asset_id.is_not(None))
        ).all(),
        schema={"asset_id": frames.pl.Int64, "occurred_at": frames.pl.Datetime("us", "UTC")},
        orient="row",
    )
    uses = frames.pl.DataFrame(
        db.execute(select(AssetDealUse.asset_id, AssetDealUse.created_at)).all(),
        schema={"asset_id": frames.pl.Int64, "created_at": frames.pl.Datetime("us", "UTC")},
        orient="row",
    )
    library = frames.assets(connection).join(expires, on="asset_id")
    for months in (1, 6):
        mine = gaps.unused(
            library, views, frames.shares(connection), uses, AS_OF + timedelta(days=300), months
        )
        theirs = purge.unused(db, as_of=AS_OF + timedelta(days=300), months=months)
        assert {r["asset_id"]: r["reasons"] for r in mine.iter_rows(named=True)} == {
            r.asset_id: r.reasons for r in theirs
        }
        assert len(theirs) > 0
