"""Import generated CSVs (contacts, then activities) into SQLite and PostgreSQL with `tandem
import`'s job runner; compare with a naive pandas `read_csv` + `to_sql` of the same files; measure
the event API (a real uvicorn server in a subprocess, an httpx client, batches of 1,000).

    .venv/bin/python bench/ingest_bench.py --contacts 1000000 --activities 20000000
    .venv/bin/python bench/ingest_bench.py --backend sqlite --contacts 200000 --activities 2000000

Each import reports rows/s and how much of its time went to database statements (inserts,
lookups, commits); `floor_*` is the database's own cost of inserting the same rows into an empty
table with the same indexes (no client work at all). PostgreSQL runs on a throwaway cluster
(tandem.testing.postgres). The machine's load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
from backends import each_backend

# A production server's memory and the bulk-load settings of PostgreSQL's "Populating a
# Database" (the throwaway cluster otherwise keeps initdb's 128 MB of shared buffers).
PG_SETTINGS = {"shared_buffers": "4GB", "max_wal_size": "16GB", "checkpoint_timeout": "30min"}


def generate(folder: Path, contacts: int, activities: int) -> tuple[Path, Path]:
    """Contacts with a stage and company; activities spread over them (both deterministic)."""
    ids = pl.int_range(0, contacts, eager=True)
    people = pl.DataFrame(
        {
            "email": ("p" + ids.cast(pl.String) + "@acme" + (ids % 5000).cast(pl.String) + ".com"),
            "first_name": "P" + ids.cast(pl.String),
            "lifecycle_stage": pl.Series(["lead", "mql", "subscriber"])[ids % 3],
            "created_at": pl.repeat("2024-01-01 10:00:00", contacts, eager=True),
        }
    )
    contacts_csv, activities_csv = folder / "contacts.csv", folder / "activities.csv"
    people.write_csv(contacts_csv)
    with activities_csv.open("wb") as handle:
        step = 2_000_000
        for start in range(0, activities, step):
            n = pl.int_range(start, min(start + step, activities), eager=True)
            who = (n * 7919) % contacts
            touches = pl.DataFrame(
                {
                    "contact_email": "p"
                    + who.cast(pl.String)
                    + "@acme"
                    + (who % 5000).cast(pl.String)
                    + ".com",
                    "type": pl.Series(["web_visit", "email_click", "content_download", "meeting"])[
                        n % 4
                    ],
                    "occurred_at": (n * 37 + 1_700_000_000).cast(pl.String),
                    "url": "https://acme.com/p/" + (n % 997).cast(pl.String),
                }
            )
            touches.write_csv(handle, include_header=start == 0)
    return contacts_csv, activities_csv


class DbClock:
    """Seconds spent in database statements of the frame path (and commits)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        from tandem.ingest import bulkwrite

        for owner, name in (
            (bulkwrite.Sql, "insert_new"),
            (bulkwrite.Sql, "select"),
            (bulkwrite.Sql, "select_all"),
            (bulkwrite, "_record_moves"),
        ):
            self._wrap(owner, name)

    def _wrap(self, owner: Any, name: str) -> None:
        function = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        setattr(owner, name, timed)

    def tx(self, engine: Any) -> Any:
        @contextmanager
        def begin() -> Iterator[Any]:
            with engine.connect() as connection:
                transaction = connection.begin()
                try:
                    yield connection
                except BaseException:
                    transaction.rollback()
                    raise
                start = time.perf_counter()
                transaction.commit()
                self.seconds += time.perf_counter() - start

        return begin


def tandem_import(url: str, kind: str, path: Path, clock: DbClock) -> dict[str, Any]:
    from tandem.db import make_engine
    from tandem.ingest import jobs
    from tandem.ingest.mapping import profile_mapping

    engine = make_engine(url)
    tx = clock.tx(engine)
    mapping = profile_mapping("generic", kind)
    job_id = jobs.create_job(tx, path=path, kind=kind, profile="generic", mapping=mapping)
    clock.seconds = 0.0
    start, cpu = time.perf_counter(), time.process_time()
    job = jobs.run_job(tx, job_id)
    seconds = time.perf_counter() - start
    engine.dispose()
    rows = job["rows_total"]
    return {
        "status": job["status"],
        "rows": rows,
        "new": job["rows_new"],
        "unchanged": job["rows_unchanged"],
        "quarantined": job["rows_quarantined"],
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds),
        "db_share": round(clock.seconds / seconds, 2),
        "client_cpu_s": round(time.process_time() - cpu, 1),
    }


def floor(url: str, table: str, indexed: bool = True) -> dict[str, Any]:
    """The database's own cost for the rows Tandem stored: copy them (INSERT ... SELECT inside
    the database, no client work) into an empty table with the same indexes and unique keys, a
    commit per chunk of the import's size. No foreign keys: a lower bound. `indexed=False`:
    a bare table without any index or key (what a plain `to_sql` writes), the ceiling for
    these rows on this machine."""
    from sqlalchemy import UniqueConstraint, text

    from tandem.db import make_engine
    from tandem.ingest.jobs import FRAME_CHUNK_ROWS
    from tandem.tables import metadata

    model = metadata.tables[table]
    copy = f"floor_{table}"
    engine = make_engine(url)
    chunk = FRAME_CHUNK_ROWS[engine.dialect.name]
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {copy}"))
        connection.execute(
            text(f"CREATE TABLE {copy} AS SELECT * FROM {table} WHERE 1 = 0")  # noqa: S608
        )
        groups = [(i.unique, [c.name for c in i.columns]) for i in model.indexes]
        groups += [
            (True, [c.name for c in u.columns])
            for u in model.constraints
            if isinstance(u, UniqueConstraint)
        ]
        groups.append((True, ["id"]))
        for n, (unique, columns) in enumerate(groups if indexed else []):
            kind = "UNIQUE INDEX" if unique else "INDEX"
            connection.execute(text(f"CREATE {kind} {copy}_{n} ON {copy} ({', '.join(columns)})"))
        top = connection.execute(
            text(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
        ).scalar_one()
    start = time.perf_counter()
    for low in range(0, top, chunk):
        with engine.begin() as connection:
            connection.execute(
                text(f"INSERT INTO {copy} SELECT * FROM {table} WHERE id > :a AND id <= :b"),  # noqa: S608
                {"a": low, "b": low + chunk},
            )
    seconds = time.perf_counter() - start
    with engine.begin() as connection:
        rows = connection.execute(text(f"SELECT count(*) FROM {copy}")).scalar_one()  # noqa: S608
        connection.execute(text(f"DROP TABLE {copy}"))
    engine.dispose()
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds)}


# What a pandas user must add to `to_sql`'s bare table of text for it to answer the same reads
# and refuse a second copy of a row: the indexes of Tandem's table over the CSV's own columns, and
# a unique key over the columns Tandem derives an activity's idempotency key from (campaign and
# asset have no column in these files, so their two indexes have no counterpart).
PANDAS_INDEXES = {
    "contacts": [(True, ["email"])],
    "activities": [
        (False, ["contact_email", "occurred_at"]),
        (False, ["type", "occurred_at"]),
        (True, ["contact_email", "type", "occurred_at", "url"]),
    ],
}


def pandas_to_sql(url: str, kind: str, path: Path, rows: int | None) -> dict[str, Any]:
    """`read_csv` + `to_sql` of the file (the bare table: `seconds`, `rows_per_s`), then the
    same indexes and unique key built on it (`indexed_seconds`, `indexed_rows_per_s`: the
    whole time, load and indexes)."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    table = f"naive_{path.stem}"
    start, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_csv(path, nrows=rows)
    frame.to_sql(table, engine, if_exists="replace", index=False, chunksize=50_000)
    bare, bare_cpu = time.perf_counter() - start, time.process_time() - cpu
    with engine.begin() as connection:
        for n, (unique, columns) in enumerate(PANDAS_INDEXES[kind]):
            made = "UNIQUE INDEX" if unique else "INDEX"
            listed = ", ".join(f'"{c}"' for c in columns)
            connection.execute(text(f"CREATE {made} {table}_{n} ON {table} ({listed})"))
    seconds = time.perf_counter() - start
    engine.dispose()
    return {
        "rows": len(frame),
        "seconds": round(bare, 1),
        "rows_per_s": round(len(frame) / bare),
        "cpu_s": round(bare_cpu, 1),
        "indexed_seconds": round(seconds, 1),
        "indexed_rows_per_s": round(len(frame) / seconds),
    }


SERVER = """
import sys, uvicorn
from tandem.settings import Settings
from tandem.web.app import create_app
uvicorn.run(create_app(Settings(database_url=sys.argv[1])), host="127.0.0.1",
            port=int(sys.argv[2]), log_level="warning")
"""


def api_throughput(url: str, batches: int, size: int = 1000) -> dict[str, Any]:
    """POST /api/v1/activities on 127.0.0.1 (uvicorn in a subprocess), `batches` batches of
    `size` new activities after one warm-up batch; rows/s and per-batch latency."""
    import httpx
    from sqlalchemy.orm import Session

    from tandem.auth import service as auth
    from tandem.auth.models import User
    from tandem.db import make_engine

    engine = make_engine(url)
    with Session(engine) as s:
        user = User(email="bench@x.io", name="b", password_hash="x", role="admin")
        s.add(user)
        s.flush()
        _, token = auth.create_api_token(db_session=s, user=user, name="bench")
        s.commit()
    engine.dispose()
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port)])
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the API server did not start") from None
                    time.sleep(0.2)
            latencies = []
            for b in range(batches + 1):
                items = [
                    {
                        "contact_email": f"api{(b * size + i) % 5000}@bench.io",
                        "type": "web_visit",
                        "occurred_at": "2024-06-01T00:00:00Z",
                        "url": f"https://bench.io/{b}/{i}",
                    }
                    for i in range(size)
                ]
                start = time.perf_counter()
                response = client.post("/api/v1/activities", json=items)
                elapsed = time.perf_counter() - start
                body = response.json()
                assert response.status_code == 200 and body["new"] == size, response.text[:300]
                if b:  # the first batch warms up (and creates the 5,000 contacts' first ones)
                    latencies.append(elapsed)
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()

    def pct(p: float) -> float:
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {
        "batches": batches,
        "batch_size": size,
        "rows_per_s": round(batches * size / sum(latencies)),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }


def run(url: str, files: tuple[Path, Path], args: argparse.Namespace) -> dict[str, Any]:
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    clock = DbClock()
    out: dict[str, Any] = {"load_average_before": [round(x, 1) for x in os.getloadavg()]}
    for kind, path in zip(("contacts", "activities"), files, strict=True):
        out[kind] = tandem_import(url, kind, path, clock)
        print(json.dumps({kind: out[kind]}), flush=True)
    out["contacts_again"] = tandem_import(url, "contacts", files[0], clock)
    print(json.dumps({"contacts_again": out["contacts_again"]}), flush=True)
    if args.floor:
        for table in ("contacts", "activities"):
            out[f"floor_{table}"] = floor(url, table)
            print(json.dumps({f"floor_{table}": out[f"floor_{table}"]}), flush=True)
        out["floor_activities_bare"] = floor(url, "activities", indexed=False)
        print(json.dumps({"floor_activities_bare": out["floor_activities_bare"]}), flush=True)
    for kind, path in zip(("contacts", "activities"), files, strict=True):
        out[f"pandas_{kind}"] = pandas_to_sql(url, kind, path, args.pandas_rows)
        print(json.dumps({f"pandas_{kind}": out[f"pandas_{kind}"]}), flush=True)
    if args.api_batches:
        try:
            out["api"] = api_throughput(url, args.api_batches)
        except Exception as exc:  # report the import figures regardless
            out["api_error"] = f"{type(exc).__name__}: {exc}"
        print(json.dumps({"api": out.get("api", out.get("api_error"))}), flush=True)
    out["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--activities", type=int, default=2_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--api-batches", type=int, default=50)
    parser.add_argument(
        "--pandas-rows", type=int, default=None, help="pandas baseline on the first N rows only"
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--no-floor", dest="floor", action="store_false", help="skip the database floor"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as name:
        folder = Path(name)
        start = time.perf_counter()
        files = generate(folder, args.contacts, args.activities)
        print(f"generated in {time.perf_counter() - start:.0f} s", flush=True)
        results: dict[str, Any] = {"cpus": os.cpu_count()}
        results |= each_backend(
            args.backend,
            f"sqlite:///{folder}/bench.db",
            lambda url: run(url, files, args),
            port=55432,
            settings=PG_SETTINGS,
        )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
