"""`tandem demo setup` puts a scoring model in force the real way: proposed by the demo marketer,
approved by the demo sales manager, every contact rescored and explained, a second version
pending, and a predictive score trained on the workspace's outcomes."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tandem.audit.models import AuditEvent
from tandem.auth.models import User
from tandem.cli.main import app
from tandem.contacts.models import Contact
from tandem.db import make_engine, utcnow
from tandem.lifecycle.models import StageTransition
from tandem.scoring import views
from tandem.scoring.models import (
    ContactPrediction,
    ContactScore,
    ContactScoreHistory,
    PredictiveModelRecord,
    ScoringModelVersion,
)

CONTACTS = 1_500


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TANDEM_DATABASE_URL", url)
        result = CliRunner().invoke(
            app, ["demo", "setup", "--contacts", str(CONTACTS)], catch_exceptions=False
        )
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    yield engine, result.output
    engine.dispose()


def test_an_active_model_was_proposed_by_marketing_and_approved_by_sales(demo_db):
    engine, output = demo_db
    words = " ".join(output.split())
    assert "demo@1 active" in words and "demo@2 pending approval" in words
    with Session(engine) as db:
        versions = {v.version: v for v in db.scalars(select(ScoringModelVersion))}
        active, pending = versions[1], versions[2]
        assert active.status == "active" and active.active_flag == 1
        assert db.get(User, active.proposed_by_id).email == "marketer@tandem.demo"
        assert db.get(User, active.decided_by_id).email == "manager@tandem.demo"
        assert pending.status == "proposed" and pending.base_version_id == active.id
        actions = db.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("scoring.%"))
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["scoring.propose", "scoring.approve", "scoring.propose", "scoring.train"]
        # The pending version has a readable diff for the sales manager, who may decide it.
        manager = db.scalars(select(User).where(User.email == "manager@tandem.demo")).one()
        detail = views.version_detail(db, pending, manager)
        assert detail.can_decide and detail.changes
        assert {c.key for c in detail.changes} >= {"senior_buyer", "webinar_registered"}


def test_every_contact_is_scored_and_explained_and_mqls_look_realistic(demo_db):
    engine, _ = demo_db
    with Session(engine) as db:
        rows = db.scalars(select(ContactScore)).all()
        assert len(rows) == CONTACTS
        for row in rows:
            parts = sum((Decimal(str(p["points"])) for p in row.parts), Decimal("0"))
            assert parts.quantize(Decimal("0.01")) == row.total, row.contact_id
        mqls = sum(r.is_mql for r in rows)
        assert 0.002 * CONTACTS <= mqls <= 0.1 * CONTACTS
        assert {r.grade for r in rows} == {"A", "B", "C", "D"}
        moved = db.scalar(
            select(func.count())
            .select_from(StageTransition)
            .where(StageTransition.actor == "scoring:demo@1")
        )
        assert 0 < moved <= mqls


def test_a_known_contact_page_panel_sums_to_its_score_and_has_a_history(demo_db):
    engine, _ = demo_db
    with Session(engine) as db:
        best = db.scalars(select(ContactScore).order_by(ContactScore.total.desc())).first()
        assert db.get(Contact, best.contact_id) is not None
        panel = views.contact_panel(db, best.contact_id, as_of=utcnow())
        assert panel.model == "demo@1"
        assert panel.total is not None and panel.parts_sum == panel.total
        assert panel.fit + panel.engagement == panel.total
        assert panel.grade in "ABCD" and panel.parts
        assert len(panel.history) >= 2 and panel.sparkline
        causes = set(
            db.scalars(
                select(ContactScoreHistory.cause).where(
                    ContactScoreHistory.contact_id == best.contact_id
                )
            )
        )
        assert causes == {"replay", "rescore"}
        assert panel.prediction is not None and 0 <= panel.prediction.score <= 100


def test_the_predictive_score_is_trained_on_the_workspace(demo_db):
    engine, _ = demo_db
    with Session(engine) as db:
        trained = db.scalars(select(PredictiveModelRecord)).one()
        assert trained.active_flag == 1 and trained.outcome == "opportunity"
        assert trained.auc > 0.55
        assert db.scalar(select(func.count()).select_from(ContactPrediction)) == CONTACTS


def test_setup_again_keeps_the_models(demo_db, monkeypatch):
    engine, _ = demo_db
    monkeypatch.setenv("TANDEM_DATABASE_URL", engine.url.render_as_string())
    result = CliRunner().invoke(app, ["demo", "setup"], catch_exceptions=False)
    assert result.exit_code == 0 and "scoring models exist already" in result.output
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(ScoringModelVersion)) == 2


def test_setup_scoring_on_each_backend(fresh_database, monkeypatch):
    """The same steps on SQLite and PostgreSQL, on a small world whose outcomes are too few to
    train on: the predictive step says so and everything else is in place."""
    from datetime import UTC, datetime

    from tandem.demo.cli import ensure_demo_users
    from tandem.demo.load import load_demo
    from tandem.demo.scoring import setup_scoring
    from tandem.demo.spec import DemoSpec
    from tandem.migrate import upgrade

    url = fresh_database("demo_scoring")
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    target = make_engine(url)
    upgrade(target)
    reps = ensure_demo_users()
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    load_demo(target, DemoSpec(contacts=400, as_of=now, seed=3, rep_ids=tuple(reps)))
    with Session(target) as db:
        done = setup_scoring(db, now=now)
        db.commit()
    assert (done.active, done.pending, done.contacts) == ("demo@1", "demo@2", 400)
    assert done.predictive_auc is None and done.predictive_note.startswith("not trained")
    with Session(target) as db:
        assert db.scalar(select(func.count()).select_from(ContactScore)) == 400
        replayed = db.scalar(
            select(func.count())
            .select_from(ContactScoreHistory)
            .where(ContactScoreHistory.cause == "replay")
        )
        assert replayed == done.history_points >= 400
    target.dispose()


def test_setup_stores_an_attribution_run_crediting_every_won_deal(demo_db):
    """The revenue pages read stored credits: the demo has them, summing to each deal."""
    from tandem.attribution.models import AttributedOpportunity, AttributionCredit
    from tandem.opportunities.models import Opportunity

    engine, output = demo_db
    with Session(engine) as db:
        won = dict(
            db.execute(select(Opportunity.id, Opportunity.amount).where(Opportunity.is_won)).all()
        )
        stored = dict(
            db.execute(
                select(AttributedOpportunity.opportunity_id, AttributedOpportunity.amount_cents)
            ).all()
        )
        assert won and stored == {i: int(a * 100) for i, a in won.items()}
        touched = select(AttributedOpportunity.opportunity_id).where(
            AttributedOpportunity.touches > 0
        )
        expected = sum(stored[i] for i in db.scalars(touched))
        sums = dict(
            db.execute(
                select(AttributionCredit.model, func.sum(AttributionCredit.credit_cents)).group_by(
                    AttributionCredit.model
                )
            ).all()
        )
    assert f"attribution: {len(won):,} won deals credited" in " ".join(output.split())
    assert len(sums) >= 5 and set(sums.values()) == {expected}


def test_setup_sets_team_goals_and_rep_quotas_near_the_run_rate(demo_db):
    from tandem.goals.models import Goal

    engine, output = demo_db
    with Session(engine) as db:
        goals = db.scalars(select(Goal)).all()
        reps = db.scalar(select(func.count()).select_from(User).where(User.role == "sales_rep"))
        revenue = {g.period: g.target for g in goals if g.metric == "revenue"}
        quotas = [g.target for g in goals if g.user_id is not None]
    assert len(goals) == 4 * (3 + reps) and len(revenue) == 4
    assert len(set(revenue.values())) == 1 and next(iter(revenue.values())) > 0
    assert len(quotas) == 4 * reps and all(q > 0 for q in quotas)
    assert f"goals: {len(goals)} team goals and rep quotas" in " ".join(output.split())


def test_demo_records_come_from_the_demo_and_deals_name_their_rep_and_team(demo_db):
    from datetime import UTC, datetime

    from tandem.accounts.models import Account
    from tandem.activities.models import Activity
    from tandem.analytics.snapshot import load_facts
    from tandem.auth.models import Team
    from tandem.contacts.models import RecordSource
    from tandem.opportunities.models import Opportunity

    engine, _ = demo_db
    with Session(engine) as db:
        for model in (Contact, Account, Opportunity, Activity):
            origins = db.execute(
                select(RecordSource.kind, RecordSource.name, func.count())
                .join(model, model.source_id == RecordSource.id)
                .group_by(RecordSource.kind, RecordSource.name)
            ).all()
            total = db.scalar(select(func.count()).select_from(model))
            assert origins == [("demo", "demo", total)] and total > 0, model
        # Demo deals are owned by Tandem users: the owner, their team and its manager.
        owners = {
            u.id: (u.name, u.team.name if u.team else None, u.team.manager_id if u.team else None)
            for u in db.scalars(select(User))
        }
        names = {u.id: u.name for u in db.scalars(select(User))}
        expected = {
            (owners[o][0], owners[o][1], names.get(owners[o][2]))
            for o in db.scalars(
                select(Opportunity.owner_id).where(Opportunity.owner_id.is_not(None))
            )
        }
        facts = load_facts(db_session=db, loaded_at=datetime(2026, 1, 1, tzinfo=UTC))
        deals = facts.opportunities.filter(facts.opportunities["rep"].is_not_null())
        assert set(deals.select("rep", "team", "manager").iter_rows()) == expected
        assert {team for _, team, _ in expected} <= set(db.scalars(select(Team.name)))
        assert len(expected) >= 3  # three demo reps own deals
