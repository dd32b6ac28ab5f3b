"""What the compressed assets and the webhook queue cost.

1. Plotly as the first dashboard loads it: bytes on the wire with and without gzip, the time of
   the first request (read and compressed once) and of later ones (from memory).
2. Queuing webhooks for a bulk stage change (the `StageChanged` handler, SQLite): with no
   subscription (the usual case) and with one subscribed to `stage.changed`.

    PYTHONPATH=src .venv/bin/python bench/webhooks_bench.py --changes 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tandem.db import make_engine
from tandem.events import StageChange, StageChanged
from tandem.migrate import upgrade
from tandem.settings import Settings
from tandem.web.app import create_app
from tandem.webhooks import handlers, service
from tandem.webhooks.schemas import SubscriptionIn


def plotly(url: str) -> None:
    app = create_app(Settings(database_url=url, environment="test"))
    with TestClient(app) as client:
        path = app.state.templates.env.globals["asset_url"]("/vendor/plotly/plotly.min.js")
        timings = []
        for _ in range(6):
            start = time.perf_counter()
            answer = client.get(path, headers={"Accept-Encoding": "gzip"})
            timings.append(time.perf_counter() - start)
        raw = client.get(path, headers={"Accept-Encoding": "identity"})
        print(
            f"plotly.min.js: {len(raw.content):,} bytes raw, "
            f"{int(answer.headers['content-length']):,} gzipped; "
            f"first request {timings[0] * 1000:.0f} ms, later p50 "
            f"{sorted(timings[1:])[2] * 1000:.1f} ms; "
            f"Cache-Control {answer.headers['cache-control']}"
        )


def queue(url: str, changes: int) -> None:
    engine = make_engine(url)
    at = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    event = StageChanged([StageChange(i + 1, "lead", "mql", at, "bench") for i in range(changes)])
    with Session(engine) as db:
        start = time.perf_counter()
        handlers.on_stage_changed(db, event)
        none = time.perf_counter() - start
        service.add(
            db_session=db,
            data=SubscriptionIn(url="https://hooks.example/x", events=["stage.changed"]),
            by_user_id=None,
            now=at,
        )
        start = time.perf_counter()
        handlers.on_stage_changed(db, event)
        one = time.perf_counter() - start
        db.rollback()
    print(
        f"{changes:,} stage changes queued: no subscription {none * 1000:.1f} ms, "
        f"one subscription {one:.2f} s ({one / changes * 1e6:.0f} us a delivery)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(make_engine(url))
        plotly(url)
        queue(url, args.changes)


if __name__ == "__main__":
    main()
