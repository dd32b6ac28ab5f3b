"""The scheduler inside the app: ticks run in the background only when the setting is on."""

import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tandem.auth.roles import Role
from tandem.db import make_engine, make_session_factory, session_scope
from tandem.handoff.models import Handoff
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app

from .conftest import mql, person


def handoffs(factory) -> int:
    with session_scope(factory) as db:
        return db.scalar(select(func.count()).select_from(Handoff)) or 0


def test_serve_runs_ticks_in_the_background_only_when_enabled(tmp_path, handoff_files):
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with session_scope(factory) as db:
        person(db, Role.SALES_REP, "ann@example.com", "Ann Rep")
        person(db, Role.SALES_REP, "bob@example.com", "Bob Rep")
        person(db, Role.SALES_MANAGER, "boss@example.com", "Bo Manager")
        mql(db)
    common = {"database_url": url, "routing_path": handoff_files[0], "sla_path": handoff_files[1]}
    with TestClient(create_app(Settings(**common, sla_scheduler=False))):
        time.sleep(0.5)
    assert handoffs(factory) == 0
    with TestClient(create_app(Settings(**common, sla_scheduler=True, sla_tick_seconds=1))):
        deadline = time.monotonic() + 20
        while handoffs(factory) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert handoffs(factory) == 1
    engine.dispose()
