"""Tracked-link opens over the ASGI app on SQLite; the figures are in docs/benchmarks.md.

    .venv/bin/python bench/content_links_bench.py --contacts 20000 --opens 2000

The demo world (`tandem demo generate`, about 20 activities a contact) with a scoring model
approved whose rule counts `content_view`; one asset shared with `--opens` demo contacts (share
actions of 200). Each link is then opened once from a new browser (the view stored through the
activity write path, `ActivitiesStored` rescoring the contact, the sharer's inbox entry), and
once more from the same browser (a reload: the same view, nothing stored). Requests go through
the whole app (middleware, session, commit) in process, one at a time, timed from the request
to the 302; p50 and p99 of each kind are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

MODEL = """\
name: content-bench
version: 1
fit_rules:
  - {id: vp, field: contact.job_level, op: in, values: [vp, c_level], points: 20}
behaviour_rules:
  - {id: read, activity_type: content_view, points: 10, decay: {half_life_days: 30}, cap: 30}
  - {id: visit, activity_type: web_visit, points: 1, decay: {half_life_days: 30}, cap: 10}
mql: {total: 55}
grades: {A: 30, B: 20, C: 10}
"""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def setup(url: str, contacts: int, opens: int) -> list[str]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tandem.auth import service as auth
    from tandem.auth.roles import Role
    from tandem.auth.schemas import UserCreate
    from tandem.contacts.models import Contact
    from tandem.content.models import Asset
    from tandem.content.schemas import ShareIn
    from tandem.content.shares import share
    from tandem.db import make_engine, utcnow
    from tandem.scoring import approval
    from tandem.settings import Settings

    env = {**os.environ, "TANDEM_DATABASE_URL": url}
    command = ["demo", "generate", "--contacts", str(contacts), "--seed", "42"]
    subprocess.run([sys.executable, "-m", "tandem", *command], env=env, check=True,
                   capture_output=True)  # fmt: skip
    engine = make_engine(url)
    with Session(engine) as db:
        people = {}
        for role in (Role.MARKETER, Role.SALES_MANAGER, Role.SALES_REP):
            user_in = UserCreate(email=f"{role.value}@bench.example", name=role.value,
                                 password="correct horse battery", role=role)  # fmt: skip
            people[role] = auth.create_user(db_session=db, user_in=user_in)
        db.flush()
        now = utcnow() - timedelta(days=1)
        version = approval.propose(db_session=db, user=people[Role.MARKETER], yaml_text=MODEL,
                                   now=now)  # fmt: skip
        approval.approve(db_session=db, user=people[Role.SALES_MANAGER], version_id=version.id,
                         now=now)  # fmt: skip
        asset = db.scalar(select(Asset).where(Asset.url.is_not(None)).limit(1))
        ids = list(db.scalars(select(Contact.id).order_by(Contact.id).limit(opens)))
        sharer, made = people[Role.SALES_MANAGER], []
        for start in range(0, len(ids), 200):  # share actions of at most 200 recipients
            request = ShareIn(contact_ids=ids[start : start + 200])
            made += share(db, asset_id=asset.id, request=request, by=sharer,
                          settings=Settings(database_url=url)).links  # fmt: skip
        db.commit()
    engine.dispose()
    return [link.url.rsplit("/c/", 1)[1] for link in made]


async def measure(url: str, tokens: list[str]) -> dict[str, list[float]]:
    import httpx

    from tandem.settings import Settings
    from tandem.web.app import create_app

    settings = Settings(database_url=url, sla_scheduler=False, analytics_background_refresh=False)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    times: dict[str, list[float]] = {"first open": [], "reload": []}
    async with app.router.lifespan_context(app):
        for token in tokens:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as browser:
                for kind in ("first open", "reload"):
                    start = time.perf_counter()
                    answer = await browser.get(f"/c/{token}")
                    times[kind].append((time.perf_counter() - start) * 1000)
                    assert answer.status_code == 302, answer.text
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--opens", type=int, default=2_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="content-bench-"))
    db = workdir / "content.db"
    db.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    t0 = time.perf_counter()
    tokens = setup(url, args.contacts, args.opens)
    print(f"world: {args.contacts:,} contacts, {len(tokens):,} links "
          f"({time.perf_counter() - t0:.1f} s)")  # fmt: skip
    from sqlalchemy import create_engine, text

    count = text("SELECT count(*) FROM activities WHERE type = 'content_view'")
    with create_engine(url).connect() as conn:
        before = conn.execute(count).scalar_one()  # the demo's own views
    times = asyncio.run(measure(url, tokens))
    with create_engine(url).connect() as conn:
        stored = conn.execute(count).scalar_one() - before
    assert stored == len(tokens), stored  # one view per link: reloads stored nothing
    print(f"views stored: {stored:,} (reloads: 0)")
    for kind, values in times.items():
        print(f"{kind}: n={len(values):,} p50 {_pct(values, 0.5):.2f} ms, "
              f"p95 {_pct(values, 0.95):.2f} ms, p99 {_pct(values, 0.99):.2f} ms, "
              f"max {max(values):.2f} ms")  # fmt: skip
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
