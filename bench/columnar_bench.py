"""Whole-table reads in columns (issue 22): the same steps through the DB-API (the path before)
and through Arrow (`tandem.columnar`), on copies of one 1M-contact / 20M-activity demo world.

    nice -n 10 .venv/bin/python bench/columnar_bench.py --world /tmp/bench1m-final.db \
        --workdir /tmp/columnar-bench

The world is a `tandem demo generate --contacts 1000000` SQLite database at migration head with
no scoring model, routing or attribution run yet. Each step runs in its own process (its own
peak RSS); `--path rows` makes every columnar read fall back to the DB-API, which is exactly
the reader before (rows fetched in batches of 250,000, made frames by Polars).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import time
from pathlib import Path
from typing import Any

import backends


def _url(db: Path) -> str:
    return f"sqlite:///{db}"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds of this process and of its finished children (the SQLite reader, stopped
    first): on a shared machine the wall time is mostly waiting for a core."""
    from tandem.columnar import sqlite_worker

    sqlite_worker.stop()  # its CPU counts once it has exited
    own, children = (
        resource.getrusage(r) for r in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return {
        "cpu_self": round(own.ru_utime + own.ru_stime, 1),
        "cpu_reader": round(children.ru_utime + children.ru_stime, 1),
        "peak_rss_reader_mb": round(children.ru_maxrss / 1024),
    }


def _choose(path: str) -> dict[str, int]:
    """Force the DB-API for `rows`; count which reader served each whole-table read."""
    from tandem.columnar import source

    counts = {"arrow": 0, "rows": 0}  # arrow: reads opened apart (a split read opens several)
    if path == "before" or not hasattr(source, "prepare"):  # main's code, however it reads
        return counts
    real = source.prepare

    def prepare(connection: Any, query: Any, schema: Any) -> Any:
        if path == "rows":
            counts["rows"] += 1
            raise source.ColumnarUnavailable("bench: the DB-API path")
        try:
            out = real(connection, query, schema)
        except source.ColumnarUnavailable:
            counts["rows"] += 1
            raise
        counts["arrow"] += 1
        return out

    source.prepare = prepare
    return counts


def read(db: Path, path: str) -> dict[str, Any]:
    """The demo model's full-rescore inputs: every contact's fields and matching activity."""
    from tandem.db import make_engine
    from tandem.demo.scoring import MODEL_FILES
    from tandem.scoring import store
    from tandem.scoring.loader import load_model

    counts = _choose(path)
    model = load_model(MODEL_FILES[0])
    with make_engine(_url(db)).connect() as connection:
        t0 = time.perf_counter()
        contacts = store.contacts_frame(connection, store.model_fields(model))
        t1 = time.perf_counter()
        activities = store.activities_frame(connection, model)
        t2 = time.perf_counter()
    return {
        "contacts_seconds": round(t1 - t0, 2),
        "activities_seconds": round(t2 - t1, 2),
        "contacts": contacts.height,
        "activities": activities.height,
        "reads": counts,
    }


def approve(db: Path, path: str) -> dict[str, Any]:
    """Approve the demo routing, SLA and scoring model; the MQLs it makes are routed in it."""
    from sqlalchemy import func, select

    from tandem.auth.models import User
    from tandem.db import make_engine, make_session_factory, utcnow
    from tandem.demo.handoff import setup_handoff
    from tandem.demo.scoring import MODEL_FILES
    from tandem.handoff.models import Handoff
    from tandem.scoring import approval

    counts = _choose(path)
    factory = make_session_factory(make_engine(_url(db)))
    with factory() as s:
        setup_handoff(s, now=utcnow())
        s.commit()
        users = {u.email: u for u in s.scalars(select(User))}
        before = s.scalar(select(func.count()).select_from(Handoff))
        now = utcnow()
        t0 = time.perf_counter()
        version = approval.propose(
            db_session=s,
            user=users["marketer@tandem.demo"],
            yaml_text=MODEL_FILES[0].read_text(),
            now=now,
        )
        _, summary = approval.approve(
            db_session=s, user=users["manager@tandem.demo"], version_id=version.id, now=now
        )
        s.commit()
        seconds = time.perf_counter() - t0
        routed = s.scalar(select(func.count()).select_from(Handoff)) - before
    detail = summary.as_dict()
    return {
        "seconds": round(seconds, 2),
        "rescore": detail["seconds"],
        "contacts": detail["contacts"],
        "promoted": detail["promoted_to_mql"],
        "handoffs_made_in_the_approval": routed,
        "reads": counts,
    }


def attribution_run(db: Path, path: str) -> dict[str, Any]:
    """A full attribution run of every model over every won deal (this tree's code)."""
    from tandem.attribution import default_config
    from tandem.attribution.store import run_full
    from tandem.db import make_engine, make_session_factory, utcnow
    from tandem.migrate import upgrade

    counts = _choose(path)
    engine = make_engine(_url(db))
    upgrade(engine)  # the run stores its ROI counts (migration 0035)
    with make_session_factory(engine)() as s:
        t0, cpu0 = time.perf_counter(), time.process_time()
        summary = run_full(db_session=s, config=default_config(), now=utcnow())
        s.commit()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    # cpu_run: this process's CPU over the run alone (all its threads; not the start-up, the
    # migrations before it, nor the reader children, which cpu_reader has).
    return {"seconds": round(seconds, 2), "cpu_run": round(cpu, 1), "deals": summary.opportunities,
            "credits": summary.credits, "reads": counts}  # fmt: skip


def attribution_page(db: Path, path: str) -> dict[str, Any]:
    """The first `/attribution` report after the run, in a fresh process (nothing in memory):
    `before` is the code on main (PYTHONPATH), `after` this tree's."""
    from tandem.attribution.pages import attribution_config
    from tandem.attribution.report import build_report
    from tandem.attribution.schemas import AttributionFilters
    from tandem.db import make_engine, make_session_factory

    factory = make_session_factory(make_engine(_url(db)))
    out: dict[str, Any] = {}
    with factory() as s:
        for name in ("first", "second"):
            t0 = time.perf_counter()
            report = build_report(
                db_session=s, filters=AttributionFilters(), config=attribution_config(), stored=True
            )
            out[f"{name}_seconds"] = round(time.perf_counter() - t0, 2)
    out["deals"] = report.opportunities
    out["linear_total"] = str(report.attributed["linear"])
    return out


STEPS = {
    "read": read,
    "approve": approve,
    "attribution_run": attribution_run,
    "attribution_page": attribution_page,
}


def _step_with(src: Path, step: str, db: Path, path: str) -> dict[str, Any]:
    """`step` in a child process importing Tandem from `src` (main's tree for "before")."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, __file__, "--step", step, "--db", str(db), "--path", path],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"{step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def attribution(world: Path, workdir: Path, before_src: Path) -> dict[str, Any]:
    """One copy: the run by main's code (with `before_src`) then by this tree's (which first
    deletes the rows main's run stored), then the first page by main's code and by this tree's."""
    db = workdir / "attribution.db"
    shutil.copyfile(world, db)
    here = Path(__file__).resolve().parents[1] / "src"
    out: dict[str, Any] = {}
    runs = (("run_before", before_src), ("run", here)) if before_src else (("run", here),)
    for name, src in runs:
        out[name] = _step_with(src, "attribution_run", db, "arrow")
        out[name]["load_average"] = os.getloadavg()
        print(f"attribution_{name}", json.dumps(out[name]), flush=True)
    for path, src in (("before", before_src), ("after", here)):
        out[f"page_{path}"] = _step_with(src, "attribution_page", db, path)
        out[f"page_{path}"]["load_average"] = os.getloadavg()
        print(f"page_{path}", json.dumps(out[f"page_{path}"]), flush=True)
    db.unlink()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", type=Path, default=Path("/tmp/bench1m-final.db"))
    p.add_argument("--workdir", type=Path, default=Path("/tmp/columnar-bench"))
    p.add_argument("--steps", nargs="+", default=["read", "approve", "attribution"],
                   choices=["read", "approve", "attribution"])  # fmt: skip
    p.add_argument(
        "--before-src",
        type=Path,
        help="main's src/: the attribution run and page, and approval (path before)",
    )
    p.add_argument(
        "--paths",
        nargs="+",
        default=["rows", "arrow"],
        choices=["rows", "arrow", "before"],
        help="read and approve: the DB-API, Arrow, and main's code (--before-src)",
    )
    p.add_argument("--step", choices=list(STEPS), help=argparse.SUPPRESS)
    p.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--path", choices=("rows", "arrow", "before", "after"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.step:
        out = STEPS[args.step](args.db, args.path)
        out["peak_rss_mb"] = round(_peak_rss_mb())
        if args.step != "attribution_page" or args.path != "before":  # may predate the reader
            out.update(_cpu_seconds())
        print(json.dumps(out))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"load_average_start": os.getloadavg()}
    if "attribution" in args.steps:
        results["attribution"] = attribution(args.world, args.workdir, args.before_src)
    for step in (s for s in args.steps if s != "attribution"):
        for path in args.paths:
            if path == "before" and (step != "approve" or not args.before_src):
                continue
            db = args.world
            if step != "read":  # writing steps get a copy of their own
                db = args.workdir / f"{step}-{path}.db"
                shutil.copyfile(args.world, db)
            key = f"{step}_{path}"
            if path == "before":
                results[key] = _step_with(args.before_src, step, db, path)
            else:
                results[key] = backends.run_step(__file__, step, "--db", str(db), "--path", path)
            results[key]["load_average"] = os.getloadavg()
            print(key, json.dumps(results[key]), flush=True)
            if db != args.world:
                db.unlink()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
