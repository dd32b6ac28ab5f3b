"""The event API under a bounded loopback load: `tandem serve` in a second process on 127.0.0.1,
an asyncio + httpx client sending new activities in batches and one by one at several
concurrencies; rows/s, p50/p99 per request, and count in == count stored.

    .venv/bin/python bench/ingest_api_bench.py --backend sqlite \\
        --batch-events 200000 --batch-size 1000 --single-events 5000 --concurrency 1 4 16

Each run is against a fresh database (SQLite file, or a throwaway PostgreSQL cluster) seeded
with `--contacts` contacts, an admin user and an API token; the scoring model's incremental
update runs as in production (`create_app` registers it). Every event is new (a distinct url),
for a contact among the seeded ones; the first `--warmup` requests of each mode are not timed.
The machine's load average is printed with the figures (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from backends import each_backend


def seed(url: str, contacts: int) -> str:
    """Migrate, add `contacts` contacts, an admin and an API token; the token."""
    import polars as pl
    from sqlalchemy.orm import Session

    from tandem.auth import service as auth
    from tandem.auth.models import User
    from tandem.bulk import insert_frame, with_defaults
    from tandem.db import make_engine, utcnow
    from tandem.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    ids = pl.int_range(0, contacts, eager=True)
    people = pl.DataFrame({"email": "c" + ids.cast(pl.String) + "@bench.io"}).with_columns(
        pl.lit(utcnow()).alias("created_at"), pl.lit(utcnow()).alias("updated_at")
    )
    with engine.begin() as connection:
        insert_frame(connection, "contacts", with_defaults("contacts", people))
    with Session(engine) as s:
        user = User(email="bench@x.io", name="b", password_hash="x", role="admin")
        s.add(user)
        s.flush()
        _, token = auth.create_api_token(db_session=s, user=user, name="bench")
        s.commit()
    engine.dispose()
    return token


def stored(url: str) -> int:
    from sqlalchemy import text

    from tandem.db import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        n = connection.execute(text("SELECT count(*) FROM activities")).scalar_one()
    engine.dispose()
    return int(n)


def serve(url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": url,
        "TANDEM_DATA_DIR": str(workdir / "data"),
        "TANDEM_SECRET_KEY": "bench-" + "x" * 40,
    }
    command = [sys.executable, "-m", "tandem", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = (workdir / "serve.log").open("wb")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT), port


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU time of a process so far (Linux /proc); `reaped`: with that of its
    children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11 : 15 if reaped else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def postmaster(url: str) -> int | None:
    """The PostgreSQL server's main process (None for SQLite, whose work is the server's)."""
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy import text

    from tandem.db import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:  # its parent, read while the backend runs
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        stat = Path(f"/proc/{backend}/stat").read_text()
    engine.dispose()
    return int(stat.rsplit(")", 1)[1].split()[1])


def database_cpu_seconds(main: int) -> float:
    """CPU time of a PostgreSQL server: its main process, the backends it has reaped and
    those still running (the request's connections stay in the server's pool)."""
    total = cpu_seconds(main, reaped=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            if int(fields[1]) == main:
                total += cpu_seconds(int(entry.name))
    return total


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)


class Events:
    """Distinct new activities for the seeded contacts."""

    def __init__(self, contacts: int) -> None:
        self.contacts, self.n = contacts, 0

    def take(self, k: int) -> list[dict[str, str]]:
        out = []
        for _ in range(k):
            i = self.n
            self.n += 1
            out.append(
                {
                    "contact_email": f"c{(i * 7919) % self.contacts}@bench.io",
                    "type": ("web_visit", "email_click", "content_download")[i % 3],
                    "occurred_at": f"2024-06-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
                    "url": f"https://bench.io/e/{i}",
                }
            )
        return out


async def load(
    base: str,
    token: str,
    events: Events,
    total: int,
    size: int,
    concurrency: int,
    warmup: int,
) -> dict[str, Any]:
    """`total` events in requests of `size` (a list, or one object when size is 1), at most
    `concurrency` requests in flight; the first `warmup` requests are not timed."""
    import httpx

    requests = total // size
    bodies = [events.take(size) for _ in range(requests + warmup)]
    payloads = [json.dumps(b[0] if size == 1 else b).encode() for b in bodies]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    sent = new = retries = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120, limits=limits) as c:

        async def post(payload: bytes) -> float:
            """One request as a client sees it: a 503 (database busy) is sent again after its
            Retry-After, and the latency counts the wait."""
            nonlocal new, retries
            start = time.perf_counter()
            response = await c.post("/api/v1/activities", content=payload)
            while response.status_code == 503:
                retries += 1
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
                response = await c.post("/api/v1/activities", content=payload)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
            new += response.json()["new"]
            return elapsed

        for payload in payloads[:warmup]:
            await post(payload)
        sent += warmup * size
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        for payload in payloads[warmup:]:
            queue.put_nowait(payload)

        async def worker() -> None:
            while True:
                try:
                    payload = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                latencies.append(await post(payload))

        start, cpu = time.perf_counter(), time.process_time()  # bodies were made before
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    sent += requests * size
    return {
        "size": size,
        "concurrency": concurrency,
        "events": requests * size,
        "requests": requests,
        "seconds": round(seconds, 2),
        "rows_per_s": round(requests * size / seconds),
        "requests_per_s": round(requests / seconds, 1),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "sent": sent,
        "new": new,
        "retries_503": retries,
        "client_cpu_ms_per_request": round(1000 * cpu / requests, 2),
    }


def run(url: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    token = seed(url, args.contacts)
    server, port = serve(url, workdir)
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"load_average_before": [round(x, 1) for x in os.getloadavg()]}
    try:
        import httpx

        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(base + "/login", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("tandem serve did not start") from None
                time.sleep(0.2)
        events = Events(args.contacts)
        database = postmaster(url)
        modes = []
        for concurrency in args.concurrency:
            modes.append((args.batch_events, args.batch_size, concurrency))
        for concurrency in args.concurrency:
            modes.append((args.single_events, 1, concurrency))
        results = []
        for total, size, concurrency in modes:
            if total < size:
                continue
            warmup = 1 if size > 1 else 20
            try:
                before = cpu_seconds(server.pid)
                held = database_cpu_seconds(database) if database else 0.0
                result = asyncio.run(load(base, token, events, total, size, concurrency, warmup))
                # Per request, warm-up requests included: where the machine's CPU went.
                count = result["requests"] + warmup
                spent = cpu_seconds(server.pid) - before
                result["server_cpu_ms_per_request"] = round(1000 * spent / count, 2)
                if database:
                    spent = database_cpu_seconds(database) - held
                    result["database_cpu_ms_per_request"] = round(1000 * spent / count, 2)
            except RuntimeError as exc:  # a failed request: said, with the server's last words
                tail = (workdir / "serve.log").read_text(errors="replace")[-1500:]
                result = {"size": size, "concurrency": concurrency, "error": str(exc),
                          "server_log": tail, "sent": 0, "new": 0}  # fmt: skip
            result["load_average"] = [round(x, 1) for x in os.getloadavg()]
            print(json.dumps(result), flush=True)
            results.append(result)
        out["modes"] = results
    finally:
        server.terminate()
        server.wait(timeout=30)
    sent = sum(r["sent"] for r in out["modes"])
    new = sum(r["new"] for r in out["modes"])
    out.update(sent=sent, answered_new=new, stored=stored(url))
    out["lost"] = sent - out["stored"]
    out["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--batch-events", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--single-events", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(dir=args.workdir) as name:
        folder = Path(name)
        in_folder = f"sqlite:///{folder}/api.db"
        results |= each_backend(
            args.backend, in_folder, lambda url: run(url, folder, args), port=55433
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
