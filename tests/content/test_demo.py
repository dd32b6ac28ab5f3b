"""The demo world has content usage to show: reps' shares, buyers' views (some forwarded) and
ratings, all from the demo source and before the demo's clock."""

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tandem.activities.models import Activity
from tandem.cli.main import app as cli
from tandem.contacts.models import Contact, RecordSource
from tandem.content.models import Asset, AssetFeedback, AssetShare
from tandem.db import make_engine


def test_the_demo_shares_and_views_are_consistent(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    clock = "2026-11-01T00:00:00"
    done = CliRunner().invoke(cli, ["demo", "generate", "--contacts", "1500", "--as-of", clock],
                              catch_exceptions=False)  # fmt: skip
    assert done.exit_code == 0, done.output
    engine = make_engine(url)
    with Session(engine) as db:
        shares = db.scalars(select(AssetShare)).all()
        assert len(shares) > 10
        assert {s.contact_id for s in shares} <= set(
            db.scalars(select(Contact.id).where(Contact.owner_id.is_not(None)))
        )
        views = db.scalars(select(Activity).where(Activity.type == "content_view")).all()
        by_share = {s.id: s for s in shares}
        for view in views:
            share = by_share[view.properties["share_id"]]
            assert (view.contact_id, view.asset_id) == (share.contact_id, share.asset_id)
            assert share.created_at <= view.occurred_at <= datetime(2026, 11, 1, tzinfo=UTC)
        assert 0 < sum(v.properties["forwarded"] for v in views) < len(views)
        sources = db.scalars(
            select(RecordSource.name).join(Activity, Activity.source_id == RecordSource.id)
            .where(Activity.type == "content_view").distinct()
        ).all()  # fmt: skip
        assert sources == ["demo"]
        assert db.scalar(select(func.count()).select_from(AssetFeedback)) > 0
        owners = set(db.scalars(select(Asset.owner_id)))
        assert len(owners) == 1 and None not in owners  # the demo marketer's library
    engine.dispose()
