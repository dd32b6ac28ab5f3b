"""The core pages and their JSON twins, as an admin and as a sales rep: p50/p95 per request.

    .venv/bin/python bench/pages_bench.py --db /tmp/demo.db -n 200

Runs in-process through the real app (routing, the permission check, templates, JSON) on a
database made by `tandem demo setup` (signs in as its admin and first rep). Used to check that
the security work of issue 21 (strict ids, lists filtered by the object rule, clamped sums,
session-bound CSRF) kept the pages at their speed: run it on the code before and after, on the
same database, and compare. Prints one JSON object.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

ADMIN = ("admin@tandem.demo", "tandem-demo")
REP = ("rep1@tandem.demo", "tandem-demo")


def _client(url: str, data_dir: Path, who: tuple[str, str]):
    from fastapi.testclient import TestClient

    from tandem.settings import Settings
    from tandem.web.app import create_app

    settings = Settings(database_url=url, environment="test", data_dir=data_dir)
    client = TestClient(create_app(settings))
    client.__enter__()
    client.get("/login")
    answer = client.post(
        "/login",
        data={
            "email": who[0],
            "password": who[1],
            "csrf_token": client.cookies.get("tandem_csrf"),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]
    return client


def _ids(url: str, rep_email: str) -> dict[str, int]:
    from tandem.accounts.models import Account
    from tandem.auth.models import User
    from tandem.contacts.models import Contact
    from tandem.db import make_engine

    with Session(make_engine(url)) as db:
        rep = db.scalar(select(User.id).where(User.email == rep_email))
        contact = db.scalar(select(Contact.id).where(Contact.owner_id == rep).limit(1))
        account = db.scalar(
            select(Contact.account_id).where(
                Contact.owner_id == rep, Contact.account_id.isnot(None)
            )
        )
        any_account = db.scalar(select(Account.id).order_by(Account.id).limit(1))
    return {"contact": contact, "account": account or any_account}


def _time(client, path: str, n: int) -> dict[str, float]:
    took = []
    for _ in range(n):
        started = time.perf_counter()
        answer = client.get(path)
        took.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    took.sort()
    return {
        "p50_ms": round(statistics.median(took), 2),
        "p95_ms": round(took[int(len(took) * 0.95) - 1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a `tandem demo setup` SQLite file")
    parser.add_argument("-n", type=int, default=200, help="requests per page")
    args = parser.parse_args()
    url = f"sqlite:///{args.db}"
    data_dir = Path(args.db).parent / "bench-data"
    ids = _ids(url, REP[0])
    paths = [
        "/",
        "/api/v1/scorecard",
        "/contacts",
        "/api/v1/contacts?page_size=50",
        f"/contacts/{ids['contact']}",
        f"/api/v1/contacts/{ids['contact']}",
        f"/accounts/{ids['account']}",
        f"/api/v1/accounts/{ids['account']}",
    ]
    results = {}
    for label, who in (("admin", ADMIN), ("rep", REP)):
        client = _client(url, data_dir, who)
        for path in paths:
            _time(client, path, 5)  # warm
            results[f"{label} {path}"] = _time(client, path, args.n)
        client.__exit__(None, None, None)
    print(json.dumps({"load": os.getloadavg(), "pages": results}, indent=1))


if __name__ == "__main__":
    main()
