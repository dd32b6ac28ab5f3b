"""The demo generator: deterministic, consistent, and loaded whole into both databases."""

from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import func, select

from tandem.activities import types as activity_types
from tandem.activities.models import Activity
from tandem.contacts.models import Contact
from tandem.demo.generate import generate
from tandem.demo.load import load_demo
from tandem.demo.spec import DemoSpec
from tandem.lifecycle.models import StageTransition
from tandem.opportunities.models import Opportunity

AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def frames(spec: DemoSpec) -> dict[str, pl.DataFrame]:
    world, chunks = generate(spec)
    out = {"accounts": world.accounts, "campaigns": world.campaigns, "assets": world.assets}
    parts: dict[str, list[pl.DataFrame]] = {}
    for chunk in chunks:
        for name, frame in chunk.tables():
            if frame.height:
                parts.setdefault(name, []).append(frame)
    out.update({name: pl.concat(fs) for name, fs in parts.items()})
    return out


@pytest.fixture(scope="module")
def world() -> dict[str, pl.DataFrame]:
    return frames(
        DemoSpec(contacts=3_000, as_of=AS_OF, seed=7, rep_ids=(1, 2, 3), accounts_per_chunk=150)
    )


def test_same_seed_same_data_and_other_seed_other_data(world):
    again = frames(
        DemoSpec(contacts=3_000, as_of=AS_OF, seed=7, rep_ids=(1, 2, 3), accounts_per_chunk=150)
    )
    for name, frame in world.items():
        assert frame.equals(again[name]), name
    other = frames(
        DemoSpec(contacts=3_000, as_of=AS_OF, seed=8, rep_ids=(1, 2, 3), accounts_per_chunk=150)
    )
    assert not world["activities"]["occurred_at"].equals(other["activities"]["occurred_at"])


def test_sizes_match_the_spec(world):
    assert world["contacts"].height == 3_000
    assert world["contacts"]["email"].n_unique() == 3_000
    per_contact = world["activities"].height / 3_000
    assert 17 <= per_contact <= 23
    assert world["activities"]["id"].n_unique() == world["activities"].height
    assert world["activities"]["idempotency_key"].n_unique() == world["activities"].height
    assert 10 <= world["campaigns"]["channel"].n_unique() <= 14


def test_nothing_happens_after_the_clock_and_every_type_is_registered(world):
    acts = world["activities"]
    assert acts["occurred_at"].max() <= AS_OF
    assert (acts["received_at"] >= acts["occurred_at"]).all()
    assert all(activity_types.is_known(t) for t in acts["type"].unique())
    assert set(acts["contact_id"].unique()) <= set(world["contacts"]["id"])


def test_funnel_narrows_and_engaged_contacts_touch_more(world):
    reached = world["stage_transitions"].group_by("to_stage").agg(pl.col("contact_id").n_unique())
    count = dict(reached.iter_rows())
    assert (
        count["lead"]
        > count["mql"]
        > count["sal"]
        > count["sql"]
        > count["opportunity"]
        > count["customer"]
        > 0
    )
    per = world["activities"].group_by("contact_id").len()
    stages = (
        world["contacts"]
        .select(pl.col("id").alias("contact_id"), "lifecycle_stage")
        .join(per, on="contact_id")
    )
    mean = dict(stages.group_by("lifecycle_stage").agg(pl.col("len").mean()).iter_rows())
    assert mean["customer"] > mean["lead"]


def test_sales_touches_only_after_acceptance(world):
    sal = (
        world["stage_transitions"]
        .filter(pl.col("to_stage") == "sal")
        .select("contact_id", sal_at="occurred_at")
    )
    sales = (
        world["activities"]
        .filter(pl.col("type").is_in(["sales_call", "meeting"]))
        .join(sal, on="contact_id", how="left")
    )
    assert sales["sal_at"].null_count() == 0
    assert (sales["occurred_at"] >= sales["sal_at"]).all()


def test_final_stage_is_the_last_transition_and_history_is_in_order(world):
    last = (
        world["stage_transitions"]
        .sort("contact_id", "occurred_at", "id")
        .group_by("contact_id")
        .last()
    )
    joined = (
        world["contacts"]
        .select(pl.col("id").alias("contact_id"), "lifecycle_stage")
        .join(last, on="contact_id")
    )
    assert (joined["lifecycle_stage"] == joined["to_stage"]).all()
    chained = (
        world["stage_transitions"]
        .sort("contact_id", "occurred_at", "id")
        .with_columns(prev=pl.col("to_stage").shift(1).over("contact_id"))
    )
    assert (
        chained.filter(pl.col("prev").is_not_null())["from_stage"]
        == chained.filter(pl.col("prev").is_not_null())["prev"]
    ).all()


def test_deals_are_realistic(world):
    opps = world["opportunities"]
    closed = opps.filter(pl.col("is_closed"))
    assert closed["closed_at"].null_count() == 0 and (closed["closed_at"] <= AS_OF).all()
    assert (
        opps.filter(~pl.col("is_closed"))["closed_at"].null_count()
        == opps.filter(~pl.col("is_closed")).height
    )
    win_rate = closed["is_won"].mean()
    assert 0.15 <= win_rate <= 0.7
    lost = closed.filter(~pl.col("is_won"))
    assert lost["lost_reason"].null_count() == 0
    assert set(opps["deal_type"].unique()) >= {"new"}
    customers = (
        world["contacts"].filter(pl.col("lifecycle_stage") == "customer")["account_id"].unique()
    )
    won_accounts = opps.filter(pl.col("is_won"))["account_id"].unique()
    assert set(customers) <= set(won_accounts)


def test_first_touch_comes_from_the_first_activity(world):
    first = (
        world["activities"].sort("contact_id", "occurred_at", "id").group_by("contact_id").first()
    )
    joined = (
        world["contacts"]
        .select(pl.col("id").alias("contact_id"), "first_touch_campaign_id")
        .join(first.select("contact_id", "campaign_id"), on="contact_id")
    )
    assert joined["first_touch_campaign_id"].equals(joined["campaign_id"], check_names=False)


def test_load_writes_every_generated_row(fresh_database):
    """Loads into a fresh schema of each backend and reads it back through the ORM."""
    from sqlalchemy.orm import Session

    from tandem.auth.models import User
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    target = make_engine(fresh_database("demo_load"))
    upgrade(target)
    with Session(target) as s:
        s.add_all(
            [
                User(email=f"r{i}@x.io", name="r", password_hash="x", role="sales_rep")
                for i in range(3)
            ]
        )
        s.commit()
    spec = DemoSpec(contacts=800, as_of=AS_OF, seed=5, rep_ids=(1, 2, 3), accounts_per_chunk=40)
    expected = frames(spec)
    report = load_demo(target, spec)
    with Session(target) as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 800
        assert s.scalar(select(func.count()).select_from(Activity)) == expected["activities"].height
        assert report.rows["activities"] == expected["activities"].height
        assert (
            s.scalar(select(func.count()).select_from(StageTransition))
            == expected["stage_transitions"].height
        )
        won = s.scalar(select(func.sum(Opportunity.amount)).where(Opportunity.is_won.is_(True)))
        assert float(won) == pytest.approx(
            expected["opportunities"].filter(pl.col("is_won"))["amount"].sum()
        )
        first = s.scalars(select(Activity).order_by(Activity.id).limit(1)).one()
        assert first.occurred_at.tzinfo is not None and first.occurred_at <= AS_OF
        # Sequences moved past the loaded ids: a new row gets a fresh id.
        s.add(Contact(email="new@x.io"))
        s.commit()
        assert s.scalar(select(func.max(Contact.id))) == 801
    target.dispose()
