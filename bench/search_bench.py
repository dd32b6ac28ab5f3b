"""The search box at scale: p50/p95 of `/api/v1/search` (admin, and a rep whose view is
filtered), beside the obvious alternative, a substring LIKE over the contacts' email and
names (what the contact list's filter does), run on the same queries.

    .venv/bin/python bench/search_bench.py --db /tmp/bench1m.db -n 200

On a database made by `tandem demo setup` or `tandem demo generate` (its users sign in with the
demo password); migrates it first (the search indexes). Prints one JSON object.
"""

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from pages_bench import ADMIN, REP, _client
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session


def _queries(db: Session, n: int, seed: int) -> list[str]:
    """Prefixes people type: of last names, first names, emails, "first last", account names."""
    rng = random.Random(seed)
    top = db.execute(text("SELECT max(id) FROM contacts")).scalar_one()
    out: list[str] = []
    while len(out) < n:
        row = db.execute(
            text("SELECT first_name, last_name, email FROM contacts WHERE id >= :i LIMIT 1"),
            {"i": rng.randint(1, top)},
        ).first()
        if row is None:
            continue
        first, last, email = (v or "" for v in row)
        choice = rng.choice(("last", "first", "email", "full"))
        value = {"last": last, "first": first, "email": email, "full": f"{first} {last[:2]}"}
        q = value[choice][: rng.randint(3, 6)] if choice != "full" else value["full"]
        if q.strip():
            out.append(q)
    return out


def _timed(run, queries: list[str]) -> dict[str, float]:
    times = []
    for q in queries:
        start = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
    }


def _substring(db: Session):
    from tandem.contacts.models import Contact

    def run(q: str) -> None:
        pattern = f"%{q.lower()}%"
        db.execute(
            select(Contact.id, Contact.email)
            .where(
                or_(
                    func.lower(Contact.email).like(pattern),
                    func.lower(Contact.first_name).like(pattern),
                    func.lower(Contact.last_name).like(pattern),
                )
            )
            .limit(11)
        ).all()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, type=Path)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    url = f"sqlite:///{args.db}"
    engine = make_engine(url)
    started = time.perf_counter()
    upgrade(engine)
    migrate_s = time.perf_counter() - started
    with Session(engine) as db:
        contacts = db.execute(text("SELECT count(*) FROM contacts")).scalar_one()
        queries = _queries(db, args.n, args.seed)
        substring = _timed(_substring(db), queries)
    data_dir = Path(tempfile.mkdtemp(prefix="search-bench-"))
    result = {"contacts": contacts, "queries": len(queries), "migrate_s": round(migrate_s, 1)}
    for who, login in (("admin", ADMIN), ("rep", REP)):
        client = _client(url, data_dir, login)
        client.get("/api/v1/search", params={"q": queries[0]})  # warm: templates, statements

        def run(q: str, client=client) -> None:
            response = client.get("/api/v1/search", params={"q": q, "limit": 5})
            assert response.status_code == 200, response.text[:200]

        result[f"search_api_{who}"] = _timed(run, queries)
    result["substring_like_contacts_only"] = substring
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
