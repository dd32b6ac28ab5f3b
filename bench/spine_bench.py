"""The spine end to end on SQLite: an event through the API to a stored, scored, routed MQL; a
scoring model approval whose new MQLs are routed in the same transaction; the SLA tick.

    .venv/bin/python bench/spine_bench.py --contacts 1000000 --events 500 --workdir /tmp/spine

Steps, each in its own process (its own peak RSS), on the demo world (`tandem demo generate`,
about 20 activities a contact; made once per size in WORKDIR and copied for each mode):

- `approve`: routing and SLA approved (the demo's), then the demo scoring model proposed by the
  marketer and approved by the sales manager: full rescore, promotion of the new MQLs and their
  routing, one transaction. Beside it, the same approval with no routing approved (what the
  code before the spine did: MQLs left for a tick), on a copy of the same world.
- `tick`: the first tick after the approval (sweeps the MQLs the generated world holds), then
  a tick with nothing due.
- `events`: `tandem serve`'s app on loopback, one request in flight; each event is a demo
  request for a contact with the fit of an MQL and too little engagement, so each request
  stores, scores, promotes and routes one MQL (checked: one new handoff per request). Then the
  same with routing withdrawn (the path before the spine: the MQL waits for a tick).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import backends

ROOT = Path(__file__).resolve().parents[1]
TANDEM = Path(sys.executable).with_name("tandem")


def _url(db: Path) -> str:
    return f"sqlite:///{db}"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def world(workdir: Path, contacts: int) -> Path:
    """The demo world of `contacts` contacts (generated once per size)."""
    db = workdir / f"world-{contacts}.db"
    if not db.exists():
        env = {**os.environ, "TANDEM_DATABASE_URL": _url(db)}
        t0 = time.perf_counter()
        subprocess.run(
            [str(TANDEM), "demo", "generate", "--contacts", str(contacts), "--seed", "42"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"world: {contacts:,} contacts in {time.perf_counter() - t0:.0f} s", flush=True)
    return db


def _count(session: Any, table: str) -> int:
    from sqlalchemy import text

    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608


def approve(db: Path, routed: bool) -> dict[str, Any]:
    """Approve the demo scoring model (after approving routing and SLA when `routed`)."""
    from sqlalchemy import select

    from tandem.auth.models import User
    from tandem.db import make_engine, make_session_factory, utcnow
    from tandem.demo.handoff import setup_handoff
    from tandem.demo.scoring import MODEL_FILES
    from tandem.scoring import approval

    factory = make_session_factory(make_engine(_url(db)))
    with factory() as s:
        if routed:
            setup_handoff(s, now=utcnow())
            s.commit()
        users = {u.email: u for u in s.scalars(select(User))}
        handoffs = _count(s, "handoffs")
        now = utcnow()
        t0 = time.perf_counter()
        version = approval.propose(
            db_session=s,
            user=users["marketer@tandem.demo"],
            yaml_text=MODEL_FILES[0].read_text(),
            now=now,
        )
        manager = users["manager@tandem.demo"]
        _, summary = approval.approve(db_session=s, user=manager, version_id=version.id, now=now)
        s.commit()
        seconds = time.perf_counter() - t0
        routed_now = _count(s, "handoffs") - handoffs
    detail = summary.as_dict()
    return {
        "seconds": round(seconds, 2),
        "contacts": detail["contacts"],
        "promoted": detail["promoted_to_mql"],
        "routed_in_the_approval": routed_now,
        "rescore_seconds": detail["seconds"],
    }


def tick(db: Path) -> dict[str, Any]:
    """The first tick after the approval, then one with nothing due."""
    from tandem.db import make_engine, make_session_factory
    from tandem.handoff.runtime import ConfigCache
    from tandem.handoff.scheduler import tick_once
    from tandem.settings import Settings

    settings = Settings(database_url=_url(db), environment="production", secret_key="b" * 40)
    factory = make_session_factory(make_engine(settings.database_url))
    cache = ConfigCache()
    out = {}
    for name in ("first", "nothing_due"):
        t0 = time.perf_counter()
        report = tick_once(settings=settings, session_factory=factory, cache=cache)
        out[name] = {"seconds": round(time.perf_counter() - t0, 3), "routed": report.routed}
    return out


def _candidates(db: Path, n: int) -> list[str]:
    """Contacts a demo request makes MQLs: MQL fit, too little engagement, no demo request yet,
    still marketing's."""
    from sqlalchemy import create_engine, text

    with create_engine(_url(db)).connect() as c:
        rows = c.execute(
            text(
                "SELECT c.email FROM contacts c JOIN contact_scores s ON s.contact_id = c.id "
                "WHERE s.fit >= 40 AND s.engagement >= 0 AND s.engagement < 20 AND NOT s.is_mql "
                "AND c.lifecycle_stage IN ('subscriber', 'lead', 'nurture') "
                "AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.contact_id = c.id "
                "AND a.type = 'demo_request') "  # the rule's cap counts earlier requests
                "ORDER BY c.id LIMIT :n"
            ),
            {"n": n},
        )
        return [r[0] for r in rows]


def _serve(db: Path) -> tuple[Any, int, str, Any]:
    import uvicorn
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tandem.auth import service as auth
    from tandem.auth.models import User
    from tandem.db import make_engine
    from tandem.settings import Settings
    from tandem.web.app import create_app

    with Session(make_engine(_url(db))) as s:
        marketer = s.scalars(select(User).where(User.email == "marketer@tandem.demo")).one()
        _, token = auth.create_api_token(db_session=s, user=marketer, name="bench")
        s.commit()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(database_url=_url(db), sla_scheduler=False))
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, port, token, app


def _send(client: Any, db_check: Any, emails: list[str], expect_routed: bool) -> list[float]:
    from sqlalchemy import text

    out = []
    for i, email in enumerate(emails):
        body = {
            "contact_email": email,
            "type": "demo_request",
            "occurred_at": datetime.now(UTC).isoformat(),
            "idempotency_key": f"spine-{time.time_ns()}-{i}",
        }
        before = db_check.execute(text("SELECT count(*) FROM handoffs")).scalar_one()
        t0 = time.perf_counter()
        response = client.post("/api/v1/activities", json=body)
        out.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200 and response.json()["new"] == 1, response.text
        after = db_check.execute(text("SELECT count(*) FROM handoffs")).scalar_one()
        db_check.commit()
        assert after - before == (1 if expect_routed else 0), (email, before, after)
    return out


def events(db: Path, n: int) -> dict[str, Any]:
    """Single events to a routed MQL (routing approved), then with routing withdrawn."""
    import httpx
    import numpy as np
    from sqlalchemy import create_engine, text

    emails = _candidates(db, 2 * n + 40)
    if len(emails) < 2 * n + 40:
        raise RuntimeError(f"only {len(emails)} candidate contacts; ask for fewer --events")
    server, port, token, _ = _serve(db)
    check = create_engine(_url(db)).connect()
    headers = {"Authorization": f"Bearer {token}"}
    result: dict[str, Any] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
        _send(client, check, emails[:20], expect_routed=True)  # warm-up: imports, parsed config
        routed = _send(client, check, emails[20 : 20 + n], expect_routed=True)
        check.execute(
            text("UPDATE definition_versions SET active_key = NULL WHERE status = 'active'")
        )
        check.commit()
        _send(client, check, emails[20 + n : 40 + n], expect_routed=False)
        unrouted = _send(client, check, emails[40 + n : 40 + 2 * n], expect_routed=False)
    server.should_exit = True
    for name, values in (("routed_mql", routed), ("mql_left_for_the_tick", unrouted)):
        result[name] = {
            f"p{q}": round(float(np.percentile(values, q)), 2) for q in (50, 95, 99)
        } | {"n": len(values)}
    return result


STEPS = {"approve": approve, "tick": tick, "events": events}


def run_step(step: str, *args: str) -> dict[str, Any]:
    """One step of this bench in a child process: its JSON result and peak RSS."""
    return backends.run_step(__file__, step, *args)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--contacts", type=int, default=20_000)
    p.add_argument("--events", type=int, default=200)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/tandem-spine-bench"))
    p.add_argument("--step", choices=list(STEPS), help=argparse.SUPPRESS)
    p.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--routed", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.step:
        call = {
            "approve": lambda: approve(args.db, bool(args.routed)),
            "tick": lambda: tick(args.db),
            "events": lambda: events(args.db, args.events),
        }[args.step]
        out = call()
        out["peak_rss_mb"] = round(_peak_rss_mb())
        print(json.dumps(out))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    base = world(args.workdir, args.contacts)
    results: dict[str, Any] = {"contacts": args.contacts}
    for routed, name in ((0, "approve_unrouted"), (1, "approve_routed")):
        db = args.workdir / f"{name}.db"
        shutil.copyfile(base, db)
        results[name] = run_step("approve", "--db", str(db), "--routed", str(routed))
        print(name, results[name], flush=True)
    db = args.workdir / "approve_routed.db"
    results["tick"] = run_step("tick", "--db", str(db))
    print("tick", results["tick"], flush=True)
    results["events"] = run_step("events", "--db", str(db), "--events", str(args.events))
    print("events", results["events"], flush=True)
    results["load_average"] = os.getloadavg()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
