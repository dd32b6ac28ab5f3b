"""Scoring on a real store: load the benchmark's Parquet data into SQLite, approve the model
(the full rescore from the database, as a user's approval runs it), then send single activities
through the event API on loopback and time each request, with and without an active model.

    .venv/bin/python bench/scoring_store.py DATA_DIR [--events 2000]

Called by `scoring_bench.py --store`; each step runs in its own process for its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import backends
import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "scoring" / "default.yaml"
STAGES = {"awareness": 1, "consideration": 2, "decision": 3}


def _url(db: Path) -> str:
    return f"sqlite:///{db}"


def load(data: Path, db: Path) -> dict:
    """Contacts (one account each), 50 campaigns, 3 assets and every activity, bulk-loaded."""
    from sqlalchemy.orm import Session

    from tandem.auth.models import User
    from tandem.bulk import bulk_writer
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    t0 = time.perf_counter()
    engine = make_engine(_url(db))
    upgrade(engine)
    with Session(engine) as s:
        for role in ("marketer", "sales_manager", "admin"):
            s.add(User(email=f"{role}@bench.io", name=role, password_hash="x", role=role))
        s.commit()
    people = pl.read_parquet(data / "contacts.parquet")
    created = datetime(2023, 1, 1, tzinfo=UTC)
    ids = pl.col("contact_id") + 1
    accounts = people.select(
        ids.alias("id"),
        ("Account " + ids.cast(pl.String)).alias("name"),
        ("a" + ids.cast(pl.String) + ".bench.io").alias("domain"),
        pl.col("account.industry").alias("industry"),
        pl.col("account.employees").cast(pl.Int64).alias("employees"),
        pl.col("account.region").alias("region"),
        pl.col("account.is_target").alias("is_target"),
        pl.lit(created).alias("created_at"),
        pl.lit(created).alias("updated_at"),
    )
    contacts = people.select(
        ids.alias("id"),
        ("c" + ids.cast(pl.String) + "@" + pl.col("contact.email_domain")).alias("email"),
        pl.col("contact.title").alias("title"),
        pl.col("contact.job_level").alias("job_level"),
        ids.alias("account_id"),
        pl.col("contact.budget").alias("budget"),
        pl.col("contact.authority").alias("authority"),
        pl.col("contact.need").alias("need"),
        pl.col("contact.timeline").alias("timeline"),
        pl.lit("lead").alias("lifecycle_stage"),
        pl.lit(created).alias("created_at"),
        pl.lit(created).alias("updated_at"),
    )
    campaigns = pl.DataFrame(
        {"id": range(1, 51), "name": [f"cmp-{i:03d}" for i in range(50)], "channel": "email"}
    ).with_columns(pl.lit(created).alias("created_at"))
    assets = pl.DataFrame(
        {"id": list(STAGES.values()), "title": list(STAGES), "type": "ebook"}
    ).with_columns(pl.Series("journey_stage", list(STAGES)), pl.lit(created).alias("created_at"))
    rows = 0
    with bulk_writer(engine, rebuild_indexes=["activities", "contacts", "accounts"]) as writer:
        writer.write("accounts", accounts)
        writer.write("contacts", contacts)
        writer.write("campaigns", campaigns)
        writer.write("assets", assets)
        scan = pl.scan_parquet(data / "activities.parquet").with_row_index("n", offset=1)
        total, last = scan.select(pl.len(), pl.col("occurred_at").max()).collect().row(0)
        shift = datetime.now(UTC) - timedelta(hours=1) - last  # the history ends now
        for start in range(0, total, 2_000_000):
            chunk = scan.slice(start, 2_000_000).collect()
            rows += writer.write(
                "activities",
                chunk.select(
                    pl.col("n").cast(pl.Int64).alias("id"),
                    ("b" + pl.col("n").cast(pl.String)).alias("idempotency_key"),
                    (pl.col("contact_id") + 1).alias("contact_id"),
                    pl.col("activity_type").alias("type"),
                    (pl.col("occurred_at") + shift).alias("occurred_at"),
                    (pl.col("occurred_at") + shift).alias("received_at"),
                    (pl.col("campaign").str.slice(4).cast(pl.Int64) + 1).alias("campaign_id"),
                    pl.col("asset_stage").replace_strict(STAGES, default=None).alias("asset_id"),
                    "channel",
                    "url",
                    pl.col("properties").fill_null("{}"),
                ),
            )
        writer.commit()
    engine.dispose()
    return {"seconds": time.perf_counter() - t0, "contacts": people.height, "activities": rows}


def approve(db: Path) -> dict:
    """Propose the default model as marketing, approve as sales: the store-to-store rescore."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tandem.auth.models import User
    from tandem.db import make_engine, utcnow
    from tandem.scoring import approval

    engine = make_engine(_url(db))
    with Session(engine) as s:
        users = {u.role: u for u in s.scalars(select(User))}
        now = utcnow()
        t0 = time.perf_counter()
        newest = max(approval.list_versions(s), key=lambda v: v.version, default=None)
        number = 1 if newest is None else newest.version + 1  # rerunnable on the same store
        text = MODEL.read_text().replace("version: 1", f"version: {number}", 1)
        version = approval.propose(db_session=s, user=users["marketer"], yaml_text=text, now=now)
        _, summary = approval.approve(
            db_session=s, user=users["sales_manager"], version_id=version.id, now=now
        )
        s.commit()
        seconds = time.perf_counter() - t0
    detail = summary.as_dict()
    return {**detail, "seconds": seconds, "seconds_detail": detail["seconds"]}


def _serve(url: str) -> tuple[object, int, str]:
    import uvicorn
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tandem.auth import service as auth
    from tandem.auth.models import User
    from tandem.db import make_engine, make_session_factory
    from tandem.settings import Settings
    from tandem.web.app import create_app

    with Session(make_engine(url)) as s:
        admin = s.scalars(select(User).where(User.role == "admin")).one()
        _, token = auth.create_api_token(db_session=s, user=admin, name="bench")
        s.commit()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(database_url=url))
    app.state.session_factory = make_session_factory(app.state.engine, events=_timed_bus())
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, port, token


def _latencies(client: object, emails: list[str], n: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    kinds = [
        {"type": "page_view", "url": "https://tandem.example/pricing"},
        {"type": "demo_request"},
        {"type": "content_download", "asset": "decision"},
        {"type": "page_view", "url": "https://tandem.example/blog/post-1"},
        {"type": "email_click", "channel": "email"},
    ]
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        body = {
            "contact_email": emails[int(rng.integers(len(emails)))],
            "occurred_at": (now - timedelta(seconds=int(rng.integers(0, 3600)))).isoformat(),
            "idempotency_key": f"lat-{time.time_ns()}-{seed}-{i}",
            **kinds[i % len(kinds)],
        }
        body.pop("asset", None)
        t0 = time.perf_counter()
        response = client.post("/api/v1/activities", json=body)  # type: ignore[attr-defined]
        out.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200 and response.json()["new"] == 1, response.text
    return out


HANDLER_MS: list[float] = []  # the scoring handler's time per request, inside the server


def _timed_bus() -> object:
    """The app's event bus with the scoring handler timed (bench-only)."""
    from tandem.capabilities import build_bus
    from tandem.events import ActivitiesStored, EventBus
    from tandem.scoring.incremental import on_activities_stored

    def timed(db_session: object, event: object) -> None:
        t0 = time.perf_counter()
        on_activities_stored(db_session, event)  # type: ignore[arg-type]
        HANDLER_MS.append((time.perf_counter() - t0) * 1000)

    others = [(k, h) for k, h in build_bus().subscriptions() if k is not ActivitiesStored]
    return EventBus([(ActivitiesStored, timed), *others])


def events(db: Path, n: int) -> dict:
    """p50/p95/p99 of single-activity POSTs with the model active, then with none active."""
    import httpx
    from sqlalchemy import create_engine, text

    url = _url(db)
    raw = create_engine(url)
    with raw.connect() as conn:
        count = conn.execute(text("SELECT max(id) FROM contacts")).scalar_one()
        picks = np.random.default_rng(1).integers(1, count + 1, size=5000).tolist()
        emails = [
            conn.execute(text("SELECT email FROM contacts WHERE id = :i"), {"i": i}).scalar_one()
            for i in picks
        ]
    server, port, token = _serve(url)
    handler_ms = HANDLER_MS
    headers = {"Authorization": f"Bearer {token}"}
    result = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
        _latencies(client, emails, 100, seed=0)  # warm-up: imports, caches, model parse
        handler_ms.clear()
        with_model = _latencies(client, emails, n, seed=1)
        inside = list(handler_ms)
        with raw.begin() as conn:
            active = conn.execute(
                text("SELECT id FROM scoring_model_versions WHERE active_flag = 1")
            ).scalar_one()
            conn.execute(text("UPDATE scoring_model_versions SET active_flag = NULL"))
        try:
            without = _latencies(client, emails, n // 2, seed=2)
        finally:
            with raw.begin() as conn:
                conn.execute(
                    text("UPDATE scoring_model_versions SET active_flag = 1 WHERE id = :i"),
                    {"i": active},
                )
    server.should_exit = True  # type: ignore[attr-defined]
    for name, values in (("scored", with_model), ("handler", inside), ("unscored", without)):
        result[name] = {
            f"p{q}": round(float(np.percentile(values, q)), 2) for q in (50, 95, 99)
        } | {"n": len(values)}
    return result


STEPS = {"load": load, "approve": approve, "events": events}


def run_step(step: str, *args: str) -> dict[str, Any]:
    """One step of this bench in a child process: its JSON result and peak RSS."""
    return backends.run_step(__file__, step, *args)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path)
    p.add_argument("--events", type=int, default=2000)
    p.add_argument("--step", choices=list(STEPS), help=argparse.SUPPRESS)
    args = p.parse_args()
    db = args.data / "store.db"
    if args.step:
        call = {
            "load": lambda: load(args.data, db),
            "approve": lambda: approve(db),
            "events": lambda: events(db, args.events),
        }[args.step]
        out = call()
        from scoring_bench import peak_rss_mb

        out["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(out))
        return
    results = {}
    if not db.exists():
        results["load"] = run_step("load", str(args.data))
        print("load", results["load"], flush=True)
    results["approve"] = run_step("approve", str(args.data))
    print("approve", results["approve"], flush=True)
    results["events"] = run_step("events", str(args.data), "--events", str(args.events))
    print("events", results["events"], flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
