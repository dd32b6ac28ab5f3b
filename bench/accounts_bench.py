"""Work by account at scale: 100,000 accounts, 1,000,000 contacts, 20,000,000 activities.

    PYTHONPATH=src .venv/bin/python bench/accounts_bench.py --workdir /tmp/abm

Steps (one process; figures as JSON on stdout, progress on stderr):

- `generate`: the world as Arrow/Polars frames (seeded numpy; not through the store): accounts
  with industry and size, contacts spread over accounts (a third with an imported buying
  role), activities of eight types over the last 365 days.
- `rescore`: the full account rescore with the default `account_score` model: the Polars
  roll-up of every account's activities, then the engine's own assembly of parts (fit, the five
  aggregations, intent, coverage, MQA) for all 100,000 accounts. Beside it, in the same run,
  one DuckDB query computing the same roll-up over the same Arrow tables; the two are checked
  equal, aggregate by aggregate.
- `store` (with --store): a SQLite store at the same size (migrations, then ADBC ingest with
  indexes rebuilt after), the full rescore's scores written to it.
- `incremental`: N single activities, each stored and announced (`ActivitiesStored`) on the
  store, the account score handler timed from the announcement to the account's stored score
  (p50/p95/p99), each in its own committed transaction.
- `snapshot`: the daily stage snapshot of every account (`journey.snapshot`), twice (the second
  replaces the day's rows).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from tandem.accounts import rescore, score_check
from tandem.accounts.definitions import default_text
from tandem.accounts.loading import load
from tandem.accounts.score_model import AccountScoreModel
from tandem.scoring.engine import US_PER_DAY, epoch_us, to_cents

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
TYPES = [
    "page_view",
    "email_click",
    "content_download",
    "webinar_attend",
    "meeting",
    "ad_click",
    "email_open",
    "demo_request",
]
ROLES = [
    "decision_maker",
    "economic_buyer",
    "champion",
    "influencer",
    "technical_evaluator",
    "user",
]
INDUSTRIES = [
    "software",
    "technology",
    "financial services",
    "retail",
    "healthcare",
    "manufacturing",
]


def say(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def generate(accounts: int, contacts: int, activities: int, seed: int = 17):
    rng = np.random.default_rng(seed)
    acc = pl.DataFrame(
        {
            "account_id": np.arange(1, accounts + 1, dtype=np.int64),
            "industry": rng.choice(INDUSTRIES, accounts),
            "employees": rng.lognormal(5.5, 1.5, accounts).astype(np.int64) + 1,
        }
    )
    roles = np.where(rng.random(contacts) < 0.33, rng.choice(ROLES, contacts), None)
    con = pl.DataFrame(
        {
            "contact_id": np.arange(1, contacts + 1, dtype=np.int64),
            "account_id": rng.integers(1, accounts + 1, contacts, dtype=np.int64),
            "role": roles,
        },
        schema={"contact_id": pl.Int64, "account_id": pl.Int64, "role": pl.String},
    )
    now = epoch_us(AS_OF)
    act = pl.DataFrame(
        {
            "contact_id": rng.integers(1, contacts + 1, activities, dtype=np.int64),
            "type": pl.Series(rng.choice(TYPES, activities)).cast(pl.Categorical),
            "t": now - rng.integers(0, 365 * US_PER_DAY, activities, dtype=np.int64),
        }
    )
    return acc, con, act


def duckdb_rollup(model: AccountScoreModel, con: pl.DataFrame, act: pl.DataFrame, now: int):
    """The same roll-up as one DuckDB query (the reference the full rescore is measured against)."""
    weights = {k: to_cents(v) * 100 for k, v in model.engagement.weights.items()}
    parts = {p.aggregation: p for p in model.engagement.parts}
    cap = to_cents(parts["sum"].person_cap) * 100
    hl = parts["decayed_sum"].half_life_days
    window = model.engagement.window_days * US_PER_DAY
    db = duckdb.connect()
    db.register("contacts", con.to_arrow())
    db.register("activities", act.with_columns(pl.col("type").cast(pl.String)).to_arrow())
    db.register(
        "weights", pl.DataFrame({"type": list(weights), "w": list(weights.values())}).to_arrow()
    )
    # Numbers from the model, not input: the statement is the bench's own.
    sql = f"""
    WITH acts AS (
        SELECT a.contact_id, w.w, a.t, {now} - a.t AS age
        FROM activities a JOIN weights w ON w.type = a.type
        WHERE {now} - a.t >= 0 AND {now} - a.t < {window}
    ), person AS (
        SELECT contact_id, SUM(w) AS u, MAX(t) AS last_t,
               SUM(CAST(floor(abs(w * pow(0.5, (age / {US_PER_DAY}.0) / {hl})) + 0.5)
                   AS BIGINT)) AS d
        FROM acts GROUP BY contact_id
    )
    SELECT c.account_id,
           SUM(LEAST(p.u, {cap}))::BIGINT AS a_sum, MAX(p.u)::BIGINT AS a_max,
           SUM(p.d)::BIGINT AS a_decayed,
           COUNT(*)::BIGINT AS a_people,
           COUNT(DISTINCT CASE WHEN c.role <> 'unknown' THEN c.role END)::BIGINT AS a_roles,
           MAX(p.last_t) AS last_t
    FROM person p JOIN contacts c ON c.contact_id = p.contact_id
    GROUP BY c.account_id ORDER BY c.account_id
    """  # noqa: S608
    return pl.from_arrow(db.sql(sql).to_arrow_table())


def build_store(path: Path, acc: pl.DataFrame, con: pl.DataFrame, act: pl.DataFrame) -> None:
    from sqlalchemy import create_engine

    from tandem.bulk import bulk_writer
    from tandem.migrate import upgrade

    path.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    t = AS_OF.replace(tzinfo=None)
    with bulk_writer(engine, rebuild_indexes=["activities", "contacts"]) as w:
        w.write(
            "accounts",
            acc.select(
                pl.col("account_id").alias("id"),
                pl.format("Account {}", "account_id").alias("name"),
                pl.format("a{}.example.com", "account_id").alias("domain"),
                "industry",
                "employees",
                pl.lit(False).alias("is_target"),
            ),
        )
        w.write(
            "contacts",
            con.select(
                pl.col("contact_id").alias("id"),
                pl.format("p{}@example.com", "contact_id").alias("email"),
                "account_id",
                pl.col("role").fill_null("unknown").alias("buying_role"),
                pl.lit("lead").alias("lifecycle_stage"),
            ),
        )
        step = 2_000_000
        for start in range(0, act.height, step):
            part = act.slice(start, step)
            at = pl.from_epoch(pl.col("t"), time_unit="us").dt.replace_time_zone("UTC")
            w.write(
                "activities",
                part.with_row_index("id", offset=start + 1).select(
                    pl.col("id").cast(pl.Int64),
                    pl.format("b{}", "id").alias("idempotency_key"),
                    "contact_id",
                    pl.col("type").cast(pl.String),
                    at.alias("occurred_at"),
                    at.alias("received_at"),
                ),
            )
            say(f"  activities {start + part.height:,}")
        w.commit()
    del t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--activities", type=int, default=20_000_000)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/abm"))
    ap.add_argument("--store", action="store_true", help="also build the SQLite store")
    ap.add_argument(
        "--reuse-store",
        action="store_true",
        help="only the incremental and snapshot steps, on the store a --store run left",
    )
    args = ap.parse_args()
    if args.reuse_store:
        out: dict[str, object] = {"store": str(args.workdir / "abm.db")}
        incremental_and_snapshot(args.workdir / "abm.db", None, args.events, out)
        print(json.dumps(out, indent=2))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    out: dict[str, object] = {
        "accounts": args.accounts,
        "contacts": args.contacts,
        "activities": args.activities,
    }
    model = load(AccountScoreModel, default_text("account_score"), "default", *score_check.CHECKS)
    now = epoch_us(AS_OF)

    t0 = time.perf_counter()
    acc, con, act = generate(args.accounts, args.contacts, args.activities)
    out["generate_s"] = round(time.perf_counter() - t0, 2)
    say("generated", out["generate_s"])

    fields = acc.select(
        "account_id",
        pl.col("industry").alias("account.industry"),
        pl.col("employees").alias("account.employees"),
    )
    t0 = time.perf_counter()
    frame = rescore.rollup_frame(model, con.lazy(), act.lazy(), now)
    out["rollup_polars_s"] = round(time.perf_counter() - t0, 2)
    # The full rescore: every account's parts, sections, total and MQA flag, one frame.
    t0 = time.perf_counter()
    full = rescore.full_frame(
        model, accounts=fields, contacts=con.lazy(), activities=act.lazy(), as_of_us=now
    )
    out["full_rescore_s"] = round(time.perf_counter() - t0, 2)
    out["mqa_accounts"] = int(full["is_mqa"].sum())
    # Then the explanation objects, part by part (what the store writes with the scores).
    t0 = time.perf_counter()
    scored = rescore.to_scores(model, full)
    out["explained_s"] = round(time.perf_counter() - t0, 2)
    assert [int(s.total * 100) for s in scored] == full["total"].to_list()
    say(
        "full rescore",
        out["full_rescore_s"],
        "rollup",
        out["rollup_polars_s"],
        "explained",
        out["explained_s"],
    )

    t0 = time.perf_counter()
    ref = duckdb_rollup(model, con, act, now)
    out["rollup_duckdb_s"] = round(time.perf_counter() - t0, 2)
    mine = frame.sort("account_id").select(
        "account_id",
        pl.col("a_activity").alias("a_sum"),
        pl.col("a_top-person").alias("a_max"),
        pl.col("a_recent").alias("a_decayed"),
        pl.col("a_people"),
        pl.col("a_roles"),
        "last_t",
    )
    out["rollup_equal"] = mine.equals(ref)
    if not out["rollup_equal"]:
        joined = mine.join(ref, on="account_id", suffix="_ref")
        out["rollup_mismatches"] = {
            c: int((joined[c] != joined[f"{c}_ref"]).sum())
            for c in ("a_sum", "a_max", "a_decayed", "a_people", "a_roles")
        }
    say("duckdb", out["rollup_duckdb_s"], "equal", out["rollup_equal"])

    if args.store:
        store = args.workdir / "abm.db"
        t0 = time.perf_counter()
        build_store(store, acc, con, act)
        out["store_build_s"] = round(time.perf_counter() - t0, 1)
        say("store", out["store_build_s"])
        del act, frame
        incremental_and_snapshot(store, scored, args.events, out)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(out, indent=2))


def incremental_and_snapshot(store: Path, scored, events: int, out: dict) -> None:
    from sqlalchemy import create_engine, func, select

    import tandem.tables  # noqa: F401 - every model, for the ORM's foreign keys
    from tandem.accounts import journey, scores
    from tandem.accounts.models import AccountScore
    from tandem.activities.models import Activity
    from tandem.capabilities import build_bus
    from tandem.db import make_session_factory, session_scope
    from tandem.events import ActivitiesStored, StoredActivity, publish, session_info

    engine = create_engine(f"sqlite:///{store}")
    factory = make_session_factory(engine)
    if scored is not None:
        t0 = time.perf_counter()
        with session_scope(factory) as db:
            scores.write_scores(db, scored, "account_score@default", AS_OF, "rescore")
        out["write_scores_s"] = round(time.perf_counter() - t0, 1)
    # Only the accounts handler on the bus: the lead score is not what is measured here.
    bus = build_bus()
    bus._handlers[ActivitiesStored] = [
        h for h in bus.handlers(ActivitiesStored) if "accounts" in getattr(h, "target", "")
    ]
    factory.configure(info=dict(session_info(bus)))
    rng = np.random.default_rng(5)
    with session_scope(factory) as db:
        contacts = db.scalar(select(func.max(Activity.contact_id)))
        top = db.scalar(select(func.max(Activity.id)))
    times = []
    now = datetime.now(UTC)
    for i in range(events):
        contact = int(rng.integers(1, contacts + 1))
        with session_scope(factory) as db:
            row = Activity(
                id=top + i + 1,
                idempotency_key=f"bench-{top + i + 1}",
                contact_id=contact,
                type="meeting",
                occurred_at=now,
                received_at=now,
            )
            db.add(row)
            db.flush()
            start = time.perf_counter()
            publish(db, ActivitiesStored([StoredActivity(row.id, contact, "meeting", now)]))
            times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    out["incremental_ms"] = {
        q: round(float(np.percentile(ms, p)), 2) for q, p in (("p50", 50), ("p95", 95), ("p99", 99))
    }
    with session_scope(factory) as db:
        out["incremental_scored_now"] = db.scalar(
            select(func.count()).select_from(AccountScore).where(AccountScore.scored_at > AS_OF)
        )
    say("incremental", out["incremental_ms"])
    day = (now + timedelta(days=1)).date()
    for key in ("snapshot_s", "snapshot_again_s"):
        t0 = time.perf_counter()
        with session_scope(factory) as db:
            written = journey.snapshot(db, day=day)
        out[key] = round(time.perf_counter() - t0, 2)
    out["snapshot_stages"] = written["stages"]
    say("snapshot", out["snapshot_s"], out["snapshot_again_s"])


if __name__ == "__main__":
    main()
