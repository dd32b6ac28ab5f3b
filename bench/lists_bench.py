"""List pages at 1,000,000 contacts: sort and filter through `tandem.lists`, against the naive
one-query page (every join and column, ORDER BY, OFFSET) in the same run.

    cp /tmp/bench1m-final.db /tmp/lists/bench.db   # a 1M-contact store at migration head 0028
    PYTHONPATH=src nice -n 10 .venv/bin/python bench/lists_bench.py --db /tmp/lists/bench.db

Each case is one list request as a manager sees it (every row visible): the total, then one
page of 50 with the default columns. Every case runs once to warm the page cache, then
`--runs` times; p50/p95 are over all timed requests of all cases. The naive form must return
the same ids in the same order (checked) and is timed `--naive-runs` times per case. Last
activity is worked out per row, so it is sorted and filtered by within a narrower filter (the
lists refuse it over more than 50,000 rows).
Figures as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from tandem.auth.models import User
from tandem.contacts.models import Contact
from tandem.lists import service
from tandem.lists.catalog import CONTACTS
from tandem.lists.sources import source
from tandem.lists.spec import parse
from tandem.migrate import upgrade


def cases(owner: str) -> list[str]:
    """The requests timed: sorts on indexed and joined fields, filters alone and combined,
    deep pages."""
    return [
        "",
        "sort=name",
        "sort=-email&page=200",
        "sort=created&page=10000",
        "stage=mql",
        f"owner={owner}&sort=name",
        f"stage=lead&owner={owner}&page=50",
        "region=emea",
        "tier=1&sort=-created",
        "segment=enterprise&stage=lead",
        "score_min=10&sort=-score",
        "grade=A",
        "created_from=2026-01-01&created_to=2026-03-31",
        "q=lars",
        "sort=account",
        "stage=mql&sort=-last_activity",
        "stage=mql&last_activity_from=2026-10-01",
    ]


def _naive(db: Session, query: Any) -> list[int]:
    """The obvious page: one SELECT with every join of the shown columns, ORDER BY, OFFSET."""
    src = source(CONTACTS.name, db)
    where, joins = service._conditions(db, CONTACTS, src, query, 0)
    joins |= {j for k in (*query.columns, query.sort) for j in src.exprs[k].joins}
    cols = [src.id, *(src.exprs[k].sql for k in query.columns)]
    db.scalar(service._select(src, [func.count()], set(src.joins)).where(*where))
    rows = db.execute(
        service._select(src, cols, set(src.joins))
        .where(*where)
        .order_by(*service._order(src, query))
        .limit(query.size)
        .offset((query.page - 1) * query.size)
    ).all()
    return [r[0] for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--naive-runs", type=int, default=2)
    args = ap.parse_args()
    engine = create_engine(f"sqlite:///{args.db}")
    upgrade(engine)  # the lists' migration (0032) and its index
    results: dict[str, Any] = {"load": os.getloadavg(), "cases": {}}
    timed: list[float] = []
    naive_timed: list[float] = []
    with Session(engine) as db:
        # The owner with the most contacts: the heaviest owner filter there is.
        owner = db.scalar(
            select(User.name)
            .join(Contact, Contact.owner_id == User.id)
            .group_by(User.id)
            .order_by(func.count().desc())
            .limit(1)
        )
        contacts = db.scalar(select(func.count()).select_from(source("contacts", db).table))
        results["contacts"] = contacts
        for case in cases(owner or "none"):
            parsed = parse(CONTACTS, [tuple(p.split("=", 1)) for p in case.split("&") if p])
            assert not parsed.errors, parsed.errors
            q = parsed.query
            page = service.read_page(
                db_session=db, spec=CONTACTS, query=q, visible_to=None, viewer_id=0
            )
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                service.read_page(
                    db_session=db, spec=CONTACTS, query=q, visible_to=None, viewer_id=0
                )
                times.append((time.perf_counter() - start) * 1000)
            naive_times = []
            for _ in range(args.naive_runs):
                start = time.perf_counter()
                ids = _naive(db, q)
                naive_times.append((time.perf_counter() - start) * 1000)
            same = ids == [i for i, _ in page.rows]
            timed += times
            naive_timed += naive_times
            results["cases"][case or "(default)"] = {
                "total": page.total,
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
                "naive_median_ms": round(statistics.median(naive_times), 1),
                "same_rows": same,
            }
            print(case, results["cases"][case or "(default)"], file=sys.stderr, flush=True)
    q95 = statistics.quantiles(timed, n=20)[-1]
    results["p50_ms"] = round(statistics.median(timed), 1)
    results["p95_ms"] = round(q95, 1)
    results["naive_p50_ms"] = round(statistics.median(naive_timed), 1)
    results["naive_p95_ms"] = round(statistics.quantiles(naive_timed, n=20)[-1], 1)
    results["load_after"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
