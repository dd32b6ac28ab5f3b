"""A bounded load test on loopback: `tandem serve --workers N` on PostgreSQL, and this process
as the client (asyncio + httpx): a fixed number of events, one per request, from `--concurrency`
connections, stopping by itself after `--events` or `--duration` seconds, whichever comes first.
A share of the requests are reads (`--reads`: contact searches) so writes meet reads.

    .venv/bin/python bench/load_bench.py --workers 4 --events 20000 --concurrency 32

It checks what a load test is for: every event acknowledged is stored (events in == events
stored), no request failed, and reports p50/p99 latency per request kind, requests per second
and the machine's load average (the machine may be shared). Without `--database-url` it starts
a throwaway PostgreSQL cluster (tandem.testing.postgres). Prints one JSON object; exit status 1
when an error happened or a count differs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.db import make_engine
from tandem.migrate import upgrade
from tandem.testing.serve import Server


def seed(url: str) -> str:
    """Migrate a fresh database, add an admin with an API token; the token."""
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        admin = User(email="load@example.com", name="Load", role="admin", password_hash="-")
        session.add(admin)
        session.flush()
        token = auth.create_api_token(db_session=session, user=admin, name="load")[1]
        session.commit()
    engine.dispose()
    return token


def stored(url: str, run: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        pattern = f"{run}-%"
        count = conn.scalar(
            text("SELECT count(*) FROM activities WHERE idempotency_key LIKE :p"), {"p": pattern}
        )
    engine.dispose()
    return int(count or 0)


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)


async def load(base: str, token: str, args: argparse.Namespace, run: str) -> dict[str, Any]:
    """Send `args.events` events (and reads) from `args.concurrency` tasks; the figures."""
    latencies: dict[str, list[float]] = {"event": [], "read": []}
    errors: list[str] = []
    acked = retries = 0
    next_event = 0
    deadline = time.monotonic() + args.duration
    headers = {"Authorization": f"Bearer {token}"}
    # Idle connections closed by the client well before uvicorn's 5 s keep-alive closes them:
    # otherwise a request can be sent on a connection the server is closing.
    limits = httpx.Limits(max_connections=args.concurrency, keepalive_expiry=1.0)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=60, limits=limits
    ) as client:

        async def worker(number: int) -> None:
            nonlocal acked, next_event, retries
            calls = 0
            event: dict[str, str] = {}
            while next_event < args.events and time.monotonic() < deadline:
                calls += 1
                if args.reads and calls % args.reads == 0:
                    kind = "read"
                    request = client.get("/api/v1/contacts", params={"q": f"c{calls % 97}"})
                else:
                    kind, i = "event", next_event
                    next_event += 1
                    event = {
                        "idempotency_key": f"{run}-{i}",
                        "contact_email": f"c{i % args.contacts}@load.example.com",
                        "type": "web_visit",
                        "occurred_at": "2026-03-02T10:00:00Z",
                        "url": f"https://load.example.com/{i}",
                    }
                    request = client.post("/api/v1/activities", json=event)
                started, retried = time.perf_counter(), False
                try:
                    response = await request
                except httpx.TransportError:
                    # A dropped connection: send it again, as a client of an idempotent API
                    # does (same idempotency key); counted, and an error if it fails again.
                    retries, retried = retries + 1, True
                    try:
                        response = await (
                            client.post("/api/v1/activities", json=event)
                            if kind == "event"
                            else client.get("/api/v1/contacts", params={"q": "c1"})
                        )
                    except httpx.HTTPError as exc:
                        errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                        continue
                except httpx.HTTPError as exc:
                    errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                    continue
                latencies[kind].append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors.append(f"{kind}: {response.status_code} {response.text[:200]}")
                elif kind == "event":
                    status = response.json()["items"][0]["status"]
                    if status == "new" or (retried and status == "duplicate"):
                        acked += 1
                    else:
                        errors.append(f"event {status}: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(args.concurrency)))
        elapsed = time.perf_counter() - started
    requests = sum(len(v) for v in latencies.values())
    return {
        "seconds": round(elapsed, 1),
        "events_sent": next_event,
        "events_acknowledged": acked,
        "requests": requests,
        "requests_per_second": round(requests / elapsed, 1),
        "events_per_second": round(acked / elapsed, 1),
        "event_p50_ms": percentile(latencies["event"], 0.50),
        "event_p99_ms": percentile(latencies["event"], 0.99),
        "read_p50_ms": percentile(latencies["read"], 0.50),
        "read_p99_ms": percentile(latencies["read"], 0.99),
        "retries": retries,
        "errors": len(errors),
        "first_errors": errors[:5],
    }


def run(url: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    token = seed(url)
    server = Server(url, workdir, workers=args.workers).start()
    tag = f"load{os.getpid()}"
    out: dict[str, Any] = {"workers": args.workers, "concurrency": args.concurrency}
    out["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
    try:
        out.update(asyncio.run(load(server.base, token, args, tag)))
    finally:
        out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        server.stop()
        if out.get("errors"):
            out["server_log"] = server.last_words(1500)
    out["events_stored"] = stored(url, tag)
    out["ok"] = out.get("errors") == 0 and out["events_stored"] == out.get(
        "events_acknowledged"
    ) == out.get("events_sent")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a throwaway cluster)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--duration", type=float, default=120, help="stop after (seconds)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--reads", type=int, default=10, help="every Nth request a read (0: none)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tandem-load-") as tmp:
        workdir = Path(tmp)
        if args.database_url:
            result = run(args.database_url, workdir, args)
        else:
            from tandem.testing.postgres import start_cluster

            cluster = start_cluster(port=55329 + os.getpid() % 500)
            try:
                result = run(cluster.url(), workdir, args)
            finally:
                cluster.stop()
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
