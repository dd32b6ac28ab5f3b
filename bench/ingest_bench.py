"""Import generated CSVs (contacts, then activities) into SQLite and PostgreSQL; compare with a
naive pandas `read_csv` + `to_sql` of the same files; measure the event API on loopback.

    .venv/bin/python bench/ingest_bench.py --contacts 1000000 --activities 20000000
    .venv/bin/python bench/ingest_bench.py --contacts 20000 --activities 200000 --api-batches 20

PostgreSQL runs on a throwaway cluster (tandem.testing.postgres) unless --no-postgres.
"""

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import polars as pl


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
    n = pl.int_range(0, activities, eager=True)
    touches = pl.DataFrame(
        {
            "contact_email": "p"
            + ((n * 7919) % contacts).cast(pl.String)
            + "@acme"
            + (((n * 7919) % contacts) % 5000).cast(pl.String)
            + ".com",
            "type": pl.Series(["web_visit", "email_click", "content_download", "meeting"])[n % 4],
            "occurred_at": (n * 37 + 1_700_000_000).cast(pl.String),
            "url": "https://acme.com/p/" + (n % 997).cast(pl.String),
        }
    )
    contacts_csv, activities_csv = folder / "contacts.csv", folder / "activities.csv"
    people.write_csv(contacts_csv)
    touches.write_csv(activities_csv)
    return contacts_csv, activities_csv


def tandem_import(url: str, kind: str, path: Path) -> tuple[float, dict]:
    from tandem.db import make_engine
    from tandem.ingest import jobs
    from tandem.ingest.mapping import profile_mapping

    engine = make_engine(url)
    job_id = jobs.create_job(
        engine.begin,
        path=path,
        kind=kind,
        profile="generic",
        mapping=profile_mapping("generic", kind),
    )
    start = time.perf_counter()
    job = jobs.run_job(engine.begin, job_id, chunk_rows=20_000)
    return time.perf_counter() - start, job


def pandas_to_sql(url: str, path: Path) -> float:
    import pandas as pd
    from sqlalchemy import create_engine

    start = time.perf_counter()
    frame = pd.read_csv(path)
    frame.to_sql(
        f"naive_{path.stem}", create_engine(url), if_exists="replace", index=False, chunksize=50_000
    )
    return time.perf_counter() - start


def api_throughput(url: str, batches: int, size: int = 1000) -> float:
    """Activities per second through POST /api/v1/activities on 127.0.0.1, batches of `size`."""
    import httpx
    import uvicorn
    from sqlalchemy.orm import Session

    from tandem.auth import service as auth
    from tandem.auth.models import User
    from tandem.db import make_engine
    from tandem.settings import Settings
    from tandem.web.app import create_app

    engine = make_engine(url)
    with Session(engine) as s:
        user = User(email="bench@x.io", name="b", password_hash="x", role="admin")
        s.add(user)
        s.flush()
        _, token = auth.create_api_token(db_session=s, user=user, name="bench")
        s.commit()
    import socket

    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(Settings(database_url=url)), port=port, log_level="error")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    headers = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120) as client:
        for b in range(batches):
            items = [
                {
                    "contact_email": f"api{(b * size + i) % 5000}@bench.io",
                    "type": "web_visit",
                    "occurred_at": "2024-06-01T00:00:00Z",
                    "url": f"https://bench.io/{b}/{i}",
                }
                for i in range(size)
            ]
            response = client.post("/api/v1/activities", json=items)
            assert response.status_code == 200 and response.json()["new"] == size, response.text
    elapsed = time.perf_counter() - start
    server.should_exit = True
    return batches * size / elapsed


def run(url: str, files: tuple[Path, Path], api_batches: int) -> dict:
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    upgrade(make_engine(url))
    out: dict = {}
    for kind, path in zip(("contacts", "activities"), files, strict=True):
        seconds, job = tandem_import(url, kind, path)
        naive = pandas_to_sql(url, path)
        rows = job["rows_total"]
        out[kind] = {
            "rows": rows,
            "new": job["rows_new"],
            "seconds": round(seconds, 1),
            "rows_per_s": round(rows / seconds),
            "pandas_to_sql_rows_per_s": round(rows / naive),
        }
    seconds, again = tandem_import(url, "contacts", files[0])
    out["contacts_reimport"] = {
        "unchanged": again["rows_unchanged"],
        "rows_per_s": round(again["rows_total"] / seconds),
    }
    print(json.dumps({url.split(":")[0]: out}), flush=True)
    if api_batches:
        try:
            out["api_activities_per_s_batch_1000"] = round(api_throughput(url, api_batches))
        except Exception as exc:  # report the import figures regardless
            out["api_error"] = f"{type(exc).__name__}: {exc}"
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--activities", type=int, default=200_000)
    parser.add_argument("--api-batches", type=int, default=20)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = generate(Path(folder), args.contacts, args.activities)
        results = {"sqlite": run(f"sqlite:///{folder}/bench.db", files, args.api_batches)}
        if not args.no_postgres:
            from tandem.testing.postgres import start_cluster

            cluster = start_cluster(port=55432)
            try:
                results["postgresql"] = run(cluster.url(), files, args.api_batches)
            finally:
                cluster.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
