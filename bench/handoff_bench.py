"""Handoff benchmark: one scheduler tick over 100,000 open MQLs, and the calendar maths
against a naive minute-by-minute loop.

    .venv/bin/python bench/handoff_bench.py                    # 100,000 leads, SQLite
    .venv/bin/python bench/handoff_bench.py --leads 20000 --database-url postgresql+psycopg://...

Parts:
1. calendar: `business_time_between` and `add_business_time` on the example US calendar vs
   `tandem.handoff.calendar_reference` (a minute-by-minute walk); results must agree.
2. pure: route + SLA clock + due escalations for every lead, in memory (no database).
3. tick: `run_tick` on a database holding N contacts that just became MQLs (example routing
   with capacities scaled so every lead gets a rep, example SLA policies):
   a. first tick: route and hand off all N, evaluate all N clocks;
   b. three days later: evaluate all N again, with every escalation step due (reminders,
      manager alerts, reassignments with fresh clocks);
   c. the same moment again: nothing is sent twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from tandem.accounts.models import Account
from tandem.auth.models import User
from tandem.contacts.models import Contact
from tandem.db import make_engine, make_session_factory, session_scope
from tandem.handoff.calendar import add_business_time, business_time_between
from tandem.handoff.calendar_reference import naive_add, naive_between
from tandem.handoff.loader import load_routing, load_sla
from tandem.handoff.models import Handoff, Notification
from tandem.handoff.routing import LeadFacts, route
from tandem.handoff.runtime import ConfigCache
from tandem.handoff.sla import TierFacts, due_escalations, sla_clock
from tandem.handoff.tick import run_tick
from tandem.lifecycle.models import StageTransition
from tandem.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "handoff"
# Monday 2026-03-02 14:00 UTC: 09:00 in New York, 15:00 in Berlin.
AS_OF = dt.datetime(2026, 3, 2, 14, tzinfo=dt.UTC)
COUNTRIES = [("US", "NA"), ("CA", "NA"), ("DE", "EMEA"), ("GB", "EMEA"), ("FR", "EMEA")]
INDUSTRIES = ["software", "financial services", "manufacturing", "retail", "healthcare"]


def timed(label: str, fn, *args, **kw):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args, **kw)
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.2f} s", flush=True)
    return out, seconds


# --- 1. calendar maths ---------------------------------------------------------------------


def bench_calendar() -> None:
    cal = load_sla(EXAMPLES / "sla.yaml").calendars["us-sales"]
    rng = random.Random(3)
    starts = [AS_OF + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 90)) for _ in range(200)]
    print("calendar maths (us-sales calendar, 200 random starts; per call):")
    for days in (1, 7, 30):
        span = dt.timedelta(days=days)
        fast = _per_call(lambda s, span=span: business_time_between(cal, s, s + span), starts)
        slow = _per_call(lambda s, span=span: naive_between(cal, s, s + span), starts[:20])
        for s in starts[:20]:
            assert business_time_between(cal, s, s + span) == naive_between(cal, s, s + span)
        print(f"  between, {days:>2} d span: {fast:9.1f} us vs naive {slow:11.1f} us "
              f"({slow / fast:,.0f}x)")  # fmt: skip
    for hours in (4, 16, 40):
        fast = _per_call(lambda s, h=hours: add_business_time(cal, s, h), starts)
        slow = _per_call(lambda s, h=hours: naive_add(cal, s, h * 60), starts[:20])
        for s in starts[:20]:
            assert add_business_time(cal, s, hours) == naive_add(cal, s, hours * 60)
        print(f"  add {hours:>2} business h:   {fast:9.1f} us vs naive {slow:11.1f} us "
              f"({slow / fast:,.0f}x)")  # fmt: skip


def _per_call(fn, starts) -> float:  # type: ignore[no-untyped-def]
    for s in starts[:5]:
        fn(s)  # warm the calendar's caches, as a long-running scheduler has them
    begin = time.perf_counter()
    for s in starts:
        fn(s)
    return (time.perf_counter() - begin) / len(starts) * 1e6


# --- 2. pure evaluation ----------------------------------------------------------------------


def bench_pure(n: int) -> float:
    rules, sla = scaled_routing(), load_sla(EXAMPLES / "sla.yaml")
    rng = random.Random(5)
    cursor: dict[str, int] = {}
    start = time.perf_counter()
    for i in range(n):
        country, region = rng.choice(COUNTRIES)
        lead = LeadFacts(
            contact_id=str(i),
            country=country,
            region=region,
            industry=rng.choice(INDUSTRIES),
            employee_count=rng.choice([50, 500, 5000]),
        )
        decision = route(rules, lead, {}, cursor)
        cursor = decision.new_cursor
        policy = sla.policy_for_team(decision.team)
        if policy is None:
            continue
        tier = policy.select_tier(TierFacts(grade=rng.choice("ABC"), region=region))
        assert tier is not None
        mql_at = AS_OF - dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 5))
        status = sla_clock(
            policy, sla.calendar_for(policy), contact_id=str(i), tier=tier, mql_at=mql_at,
            as_of=AS_OF,
        )  # fmt: skip
        due_escalations(status, (), AS_OF)
    seconds = time.perf_counter() - start
    print(f"pure route + SLA clock + due escalations, {n:,} leads: {seconds:.2f} s "
          f"({seconds / n * 1e6:.0f} us/lead)")  # fmt: skip
    return seconds


def scaled_routing():  # type: ignore[no-untyped-def]
    """The example routing rules with every capacity x1000, so no lead overflows to the
    fallback queue and every lead is evaluated under a real SLA policy."""
    rules = load_routing(EXAMPLES / "routing.yaml")
    teams = {
        name: team.model_copy(
            update={
                "reps": tuple(
                    r.model_copy(update={"capacity": r.capacity * 1000, "away": False})
                    for r in team.reps
                )
            }
        )
        for name, team in rules.teams.items()
    }
    return rules.model_copy(update={"teams": teams})


# --- 3. the tick on a database ------------------------------------------------------------


def seed(factory, n: int) -> None:  # type: ignore[no-untyped-def]
    """Users from the routing example, n contacts at n/5 accounts, all just made MQL."""
    rng = random.Random(11)
    rules = load_routing(EXAMPLES / "routing.yaml")
    emails = {r.user_id for t in rules.teams.values() for r in t.reps}
    emails |= {t.manager_id for t in rules.teams.values() if t.manager_id}
    with session_scope(factory) as db:
        db.execute(
            insert(User),
            [
                {"email": e, "name": e.split("@")[0], "password_hash": "!", "role": "sales_rep",
                 "capacity": 50, "is_active": True, "created_at": AS_OF}
                for e in sorted(emails)
            ],
        )  # fmt: skip
        accounts = []
        for i in range(max(1, n // 5)):
            country, region = rng.choice(COUNTRIES)
            accounts.append(
                {"name": f"Account {i}", "domain": f"a{i}.example", "country": country,
                 "region": region, "industry": rng.choice(INDUSTRIES),
                 "employees": rng.choice([50, 500, 5000]), "is_target": False,
                 "custom_fields": {}, "created_at": AS_OF, "updated_at": AS_OF}
            )  # fmt: skip
        db.execute(insert(Account), accounts)
        first = db.scalar(select(func.min(Account.id)))
        mql_at = AS_OF - dt.timedelta(minutes=5)
        for lo in range(0, n, 20_000):
            rows = [
                {"email": f"lead{i}@example.net", "account_id": first + i % len(accounts),
                 "lifecycle_stage": "mql", "stage_entered_at": mql_at, "buying_role": "unknown",
                 "custom_fields": {}, "created_at": mql_at, "updated_at": mql_at}
                for i in range(lo, min(n, lo + 20_000))
            ]  # fmt: skip
            db.execute(insert(Contact), rows)
        ids = db.scalars(select(Contact.id)).all()
        db.execute(
            insert(StageTransition),
            [
                {"contact_id": cid, "from_stage": "lead", "to_stage": "mql",
                 "occurred_at": mql_at, "actor": "scoring:bench"}
                for cid in ids
            ],
        )  # fmt: skip


def bench_tick(n: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        timed(f"seed {n:,} MQL contacts", seed, factory, n)
        routing = Path(tmp) / "routing.yaml"
        routing.write_text(scaled_routing().model_dump_json())  # JSON is YAML
        cache = ConfigCache(routing, EXAMPLES / "sla.yaml")

        def tick(as_of: dt.datetime):  # type: ignore[no-untyped-def]
            with session_scope(factory) as db:
                return run_tick(db, cache.get(db), as_of=as_of)

        first, _ = timed("tick 1: route + hand off + evaluate every lead", tick, AS_OF)
        print(f"  {first.model_dump(exclude={'as_of'})}")
        later = AS_OF + dt.timedelta(days=3)
        second, _ = timed("tick 2: three days later, every escalation step due", tick, later)
        print(f"  {second.model_dump(exclude={'as_of'})}")
        third, _ = timed("tick 3: the same moment again", tick, later)
        print(f"  {third.model_dump(exclude={'as_of'})}")
        assert first.routed == n and first.evaluated == n
        assert third.escalations == 0 and third.notifications == 0
        with session_scope(factory) as db:
            handoffs = db.scalar(select(func.count()).select_from(Handoff))
            notes = db.scalar(select(func.count()).select_from(Notification))
        print(f"  database: {handoffs:,} handoffs, {notes:,} notifications ({engine.dialect.name})")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--skip", nargs="*", default=[], choices=["calendar", "pure", "tick"])
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}; {args.leads:,} leads", flush=True)
    if "calendar" not in args.skip:
        bench_calendar()
    if "pure" not in args.skip:
        bench_pure(args.leads)
    if "tick" not in args.skip:
        bench_tick(args.leads, args.database_url)


if __name__ == "__main__":
    main()
