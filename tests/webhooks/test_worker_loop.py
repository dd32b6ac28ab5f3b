"""The worker inside the served app sends what a change queued, with no command run."""

import time

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tandem.db import make_engine, utcnow
from tandem.lifecycle.service import move_stage
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tests import factories as f
from tests.webhooks.test_delivery import Receiver, _subscribe


def test_the_apps_worker_delivers_in_the_background(tmp_path):
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(
        database_url=url,
        environment="development",
        webhook_poll_seconds=0.1,
        sla_scheduler=False,
        analytics_background_refresh=False,
        data_dir=tmp_path / "var",
    )
    app = create_app(settings)
    with Receiver() as receiver, TestClient(app):
        with Session(engine, info=dict(app.state.session_factory.kw["info"])) as db:
            sub = _subscribe(db, receiver.url, ["mql.new"])
            contact = f.contact(db, lifecycle_stage="lead")
            move_stage(db_session=db, contact=contact, to_stage="mql", at=utcnow(), cause="t")
            db.commit()
        deadline = time.time() + 20
        while not receiver.received and time.time() < deadline:
            time.sleep(0.1)
    assert sub.id and len(receiver.received) == 1
    assert receiver.received[0][0]["X-Tandem-Event"] == "mql.new"
