"""SLA tick benchmark: 100,000 new MQLs in a world of 1,000,000 contacts, today's code (a copy
of main's `src`) beside this tree's, in the same run, each tick in a child process.

    nice -n 10 .venv/bin/python bench/sla_tick_bench.py --before-src /tmp/main-src \\
        --backend both --mqls 100000 --contacts 1000000

The world is seeded once per backend (`handoff_bench.seed`: the MQLs, their accounts and the
reps of the example routing, capacities x1000; the other contacts are plain leads), then copied
for each variant (a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL). Each
variant runs three ticks: the first (hand off and evaluate every MQL), one two business days
later with every escalation step due (reminders, manager alerts, reassignments), and the same
moment again. Per tick: seconds, CPU seconds, load average (on PostgreSQL also the CPU
seconds of the server process serving the tick, from /proc); per variant the peak RSS, and a
digest of every handoff, escalation and notification stored: both variants must store the same.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECOND = dt.timedelta(days=2)  # Monday 14:00 -> Wednesday 14:00 UTC: every ladder step due


def _seed(url: str, mqls: int, contacts: int) -> dict:
    from sqlalchemy import insert

    sys.path.insert(0, str(HERE))
    import handoff_bench as hb

    from tandem.contacts.models import Contact
    from tandem.db import make_engine, make_session_factory, session_scope
    from tandem.migrate import upgrade

    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    hb.seed(factory, mqls)
    at = hb.AS_OF - dt.timedelta(days=30)
    with session_scope(factory) as db:
        for lo in range(mqls, contacts, 50_000):
            db.execute(
                insert(Contact),
                [
                    {"email": f"person{i}@example.org", "lifecycle_stage": "lead",
                     "buying_role": "unknown", "custom_fields": {}, "created_at": at,
                     "updated_at": at}
                    for i in range(lo, min(contacts, lo + 50_000))
                ],
            )  # fmt: skip
    engine.dispose()
    return {"seed_seconds": round(time.perf_counter() - started, 1)}


def _ticks(url: str, routing: str) -> dict:
    """Run the three ticks (in this child, on the `tandem` its PYTHONPATH gives)."""
    sys.path.insert(0, str(HERE))
    import handoff_bench as hb
    from sqlalchemy import select

    from tandem.db import make_engine, make_session_factory, session_scope
    from tandem.handoff.models import Handoff, Notification, SlaEscalation
    from tandem.handoff.runtime import ConfigCache
    from tandem.handoff.tick import run_tick

    engine = make_engine(url)
    factory = make_session_factory(engine)
    cache = ConfigCache(Path(routing), hb.EXAMPLES / "sla.yaml")
    out: dict = {"rss_before_ticks_mib": _rss()}
    for label, as_of in (
        ("first", hb.AS_OF),
        ("escalation", hb.AS_OF + SECOND),
        ("again", hb.AS_OF + SECOND),
    ):
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        with session_scope(factory) as db:
            server = _server_pid(db)
            server_cpu = _cpu_of(server)
            report = run_tick(db, cache.get(db), as_of=as_of)
        out[label] = {
            "seconds": round(time.perf_counter() - wall, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "server_cpu_seconds": round(_cpu_of(server) - server_cpu, 2),
            "load": round(load, 2),
            **report.model_dump(include={"routed", "evaluated", "escalations", "reassigned",
                                         "notifications"}),
        }  # fmt: skip
    out["peak_rss_mib"] = _rss()
    digest = hashlib.sha256()
    with session_scope(factory) as db:
        for query in (
            select(Handoff).order_by(Handoff.id),
            select(SlaEscalation).order_by(SlaEscalation.id),
            select(Notification).order_by(Notification.id),
        ):
            for row in db.execute(query.execution_options(yield_per=20_000)).tuples():
                digest.update(repr(_stored(row[0])).encode())
    out["stored_digest"] = digest.hexdigest()[:16]
    engine.dispose()
    return out


def _stored(obj) -> tuple:  # type: ignore[no-untyped-def]
    # Every column: the ticks write their timestamps from `as_of`, so runs are comparable.
    return tuple(getattr(obj, c.key) for c in obj.__table__.columns)


def _server_pid(db) -> int | None:  # type: ignore[no-untyped-def]
    """The PostgreSQL backend serving the session (None on SQLite: it runs in this process)."""
    if db.get_bind().dialect.name != "postgresql":
        return None
    return int(db.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar())


def _cpu_of(pid: int | None) -> float:
    """User + system CPU seconds of a local process so far (0 for None)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _child(src: str, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env
    )
    if done.returncode:
        raise RuntimeError(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _copy(url: str, name: str, tmp: Path) -> str:
    """A copy of the seeded database `url` named `name`."""
    if url.startswith("sqlite"):
        target = tmp / f"{name}.db"
        shutil.copy(url.removeprefix("sqlite:///"), target)
        return f"sqlite:///{target}"
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE {name} TEMPLATE "{base.database}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def bench(url: str, args: argparse.Namespace, tmp: Path) -> dict:
    sys.path.insert(0, str(HERE))
    import handoff_bench as hb

    routing = tmp / "routing.yaml"
    routing.write_text(hb.scaled_routing().model_dump_json())  # JSON is YAML
    mine = args.after_src or str(HERE.parent / "src")
    out = {"world": _child(mine, "--step", "seed", url, str(args.mqls), str(args.contacts))}
    for variant, src in (("before", args.before_src), ("after", mine)):
        copy = _copy(url, f"sla_{variant}", tmp)
        out[variant] = _child(src, "--step", "ticks", copy, str(routing))
        print(variant, json.dumps(out[variant]), flush=True)
    out["same_stored_result"] = out["before"]["stored_digest"] == out["after"]["stored_digest"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--before-src", help="the `src` of today's code (e.g. git archive main)")
    parser.add_argument("--after-src", help="the `src` of the new code (default: this tree's)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--mqls", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.step:
        step, *rest = args.step
        result = _seed(rest[0], int(rest[1]), int(rest[2])) if step == "seed" else _ticks(*rest)
        print(json.dumps(result))
        return
    if not args.before_src:
        parser.error("--before-src is required")
    from backends import each_backend

    with tempfile.TemporaryDirectory() as tmp:
        results = each_backend(
            args.backend,
            f"sqlite:///{Path(tmp) / 'world.db'}",
            lambda url: bench(url, args, Path(tmp)),
            port=54329 + os.getpid() % 300,
        )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
