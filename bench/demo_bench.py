"""Generate + load the demo data set into SQLite and PostgreSQL; report time, rate and peak RSS.

    .venv/bin/python bench/demo_bench.py --contacts 1000000          # the issue's size
    .venv/bin/python bench/demo_bench.py --contacts 50000 --baseline  # plus stdlib executemany

Each run happens in its own process so peak RSS is that run's alone. `--baseline` also loads the
same generated rows with the obvious alternative, `sqlite3.executemany` with indexes in place.
"""

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


def _prepare(url: str):
    from sqlalchemy.orm import Session

    from tandem.auth.models import User
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        s.add_all(
            [
                User(email=f"r{i}@x.io", name="r", password_hash="x", role="sales_rep")
                for i in range(3)
            ]
        )
        s.commit()
    return engine


def run_tandem(url: str, contacts: int) -> dict:
    """Tandem's path: generator + ADBC (SQLite) or COPY (PostgreSQL), indexes rebuilt after."""
    from tandem.demo.load import load_demo
    from tandem.demo.spec import DemoSpec

    engine = _prepare(url)
    start = time.perf_counter()
    report = load_demo(engine, DemoSpec(contacts=contacts, as_of=AS_OF, rep_ids=(1, 2, 3)))
    return {"seconds": time.perf_counter() - start, "activities": report.rows["activities"]}


def run_baseline(url: str, contacts: int) -> dict:
    """The obvious alternative: stdlib sqlite3 executemany of the same rows, indexes maintained."""
    from sqlalchemy import text

    from tandem.bulk import insert_frame
    from tandem.demo.generate import generate
    from tandem.demo.spec import DemoSpec

    engine = _prepare(url)
    start = time.perf_counter()
    world, chunks = generate(DemoSpec(contacts=contacts, as_of=AS_OF, rep_ids=(1, 2, 3)))
    activities = 0
    with engine.begin() as conn:
        conn.execute(text("PRAGMA foreign_keys=ON"))
        for table, frame in (
            ("campaigns", world.campaigns),
            ("assets", world.assets),
            ("accounts", world.accounts),
        ):
            insert_frame(conn, table, frame)
    for chunk in chunks:
        with engine.begin() as conn:
            for table, frame in chunk.tables():
                insert_frame(conn, table, frame)
        activities += chunk.activities.height
    return {"seconds": time.perf_counter() - start, "activities": activities}


def child(mode: str, backend: str, contacts: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
    cluster = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        from tandem.testing.postgres import start_cluster

        cluster = start_cluster(port=55432)
        url = cluster.url()
    try:
        result = (run_tandem if mode == "tandem" else run_baseline)(url, contacts)
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--baseline", action="store_true", help="also time stdlib executemany on SQLite"
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "BACKEND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.contacts)
        return
    runs = [("tandem", b) for b in args.backends.split(",")]
    if args.baseline:
        runs.append(("baseline", "sqlite"))
    print("| path | backend | contacts | activities | seconds | activities/s | peak RSS MB |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for mode, backend in runs:
        proc = subprocess.run(
            [sys.executable, __file__, "--contacts", str(args.contacts), "--child", mode, backend],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            print(f"| {mode} | {backend} | failed: {proc.stderr.strip().splitlines()[-1:]} |")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        label = "Tandem (generator + ADBC/COPY)" if mode == "tandem" else "sqlite3.executemany"
        print(
            f"| {label} | {backend} | {args.contacts:,} | {r['activities']:,} | {r['seconds']:.1f} "
            f"| {r['activities'] / r['seconds']:,.0f} | {r['peak_rss_mb']:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
