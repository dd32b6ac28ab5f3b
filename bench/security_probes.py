"""Issue 21's probes, rerun against a `tandem demo setup` SQLite database: each attack and what
it gets now, with its time. Copy the database first: the probes write to it.

    .venv/bin/tandem demo setup --contacts 5000          # with TANDEM_DATABASE_URL=sqlite:///x.db
    .venv/bin/python bench/security_probes.py --db x.db

Requests go through the real app in-process (TestClient). Prints one JSON object.
"""

import argparse
import json
import resource
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.attribution import default_config
from tandem.attribution.store import run_full
from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.contacts.models import Contact
from tandem.db import make_engine, utcnow
from tandem.ingest import jobs
from tandem.ingest.mapping import profile_mapping
from tandem.settings import Settings
from tandem.web.app import create_app

PASSWORD = "tandem-demo"
LAUGHS = "l0: &l0 [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"l{n}: &l{n} [{','.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 9)
)


def _client(app, email: str | None) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    client.get("/login")
    if email:
        answer = client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "next": "/",
                  "csrf_token": client.cookies.get("tandem_csrf")},
            follow_redirects=False,
        )  # fmt: skip
        assert answer.status_code == 303, (email, answer.status_code)
        client.get("/login")  # the session's CSRF token
    return client


def _timed(call) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, round((time.perf_counter() - started) * 1000, 1)


def _import(engine, kind: str, body: str, folder: Path) -> dict[str, Any]:
    path = folder / f"{kind}.csv"
    path.write_text(body, encoding="utf-8")
    with engine.connect() as connection:
        tx = jobs.nested(connection)
        mapping = profile_mapping("generic", kind)
        job_id = jobs.create_job(tx, path=path, kind=kind, profile="generic", mapping=mapping)
        job = jobs.run_job(tx, job_id)
        errors = jobs.list_errors(tx, job_id)
        connection.commit()
    return {
        "status": job["status"],
        "new": job["rows_new"],
        "quarantined": [(e["line"], e["field"], e["reason"]) for e in errors],
    }


def probe(db_path: str) -> dict[str, Any]:
    url = f"sqlite:///{db_path}"
    folder = Path(tempfile.mkdtemp())
    engine = make_engine(url)
    app = create_app(Settings(database_url=url, environment="test", data_dir=folder))
    out: dict[str, Any] = {}
    with Session(engine) as db:
        rep1 = db.scalar(select(User).where(User.email == "rep1@tandem.demo"))
        rep2 = db.scalar(select(User).where(User.email == "rep2@tandem.demo"))
        theirs = db.scalar(select(Contact.id).where(Contact.owner_id == rep2.id).limit(1))
        db.expunge_all()  # rep1.id is read after the session closes
        account = db.scalar(
            select(Contact.account_id)
            .where(Contact.owner_id == rep1.id, Contact.account_id.isnot(None))
            .limit(1)
        )
        marketer = db.scalar(select(User).where(User.role == "marketer"))
        _, token = auth.create_api_token(db_session=db, user=marketer, name="probe")
        marketer_email = marketer.email
        db.commit()
    rep = _client(app, "rep1@tandem.demo")
    spellings = [str(theirs), f"+{theirs}", f"{theirs}.0", f"%20{theirs}", f"0{theirs}"]
    out["other_reps_contact"] = {s: rep.get(f"/api/v1/contacts/{s}").status_code for s in spellings}
    listed = rep.get(f"/api/v1/accounts/{account}").json()
    shown = [c["id"] for g in listed["committee"] for c in g["contacts"]]
    with Session(engine) as db:
        owners = set(db.scalars(select(Contact.owner_id).where(Contact.id.in_(shown))))
    out["account_page_lists_only_own_or_unassigned"] = owners <= {None, rep1.id}

    market = _client(app, marketer_email)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    answer, ms = _timed(
        lambda: market.post(
            "/scoring/proposals",
            data={"yaml_text": LAUGHS, "note": "", "csrf_token": market.cookies.get("tandem_csrf")},
        )
    )
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    out["yaml_403_bytes"] = {"bytes": len(LAUGHS), "status": answer.status_code, "ms": ms,
                             "peak_rss_growth_kb": grown}  # fmt: skip

    admin = _client(app, "admin@tandem.demo")
    domain = Account.domain
    with Session(engine) as db:
        some = db.scalar(select(domain).where(domain.isnot(None)).limit(1))
    out["import_won_deal_1e308"] = _import(
        engine,
        "opportunities",
        f"external_id,name,account_domain,stage,amount\nprobe-1,Huge,{some},closed_won,1e308\n"
        f"probe-2,Fine,{some},closed_won,1200\n",
        folder,
    )
    with engine.begin() as connection:  # as another tool could have written it
        connection.execute(text(
            "UPDATE opportunities SET amount = 1e308 WHERE id IN "
            "(SELECT id FROM opportunities WHERE is_won ORDER BY closed_at DESC LIMIT 2)"
        ))  # fmt: skip
    out["pages_with_1e308_stored"] = {
        p: admin.get(p).status_code for p in ("/", "/api/v1/scorecard", "/attribution")
    }
    with Session(engine) as db:
        summary, ms = _timed(lambda: run_full(db_session=db, config=default_config(), now=utcnow()))
        db.commit()
    out["attribution_run"] = {"won_deals": summary.opportunities, "ms": ms}
    bearer = {"Authorization": f"Bearer {token}"}
    answer = admin.post(
        "/api/v1/contacts", json=[{"email": "probe@x.example", "budget": 1e308}], headers=bearer
    ).json()
    out["event_api_budget_1e308"] = answer["items"][0]["errors"]

    answer, ms = _timed(lambda: admin.get("/api/v1/scoring/backtest?start=1500-01-01&step_days=1"))
    out["backtest_from_1500"] = {"status": answer.status_code, "ms": ms, "detail": answer.json()}

    slowest = 0.0
    for _ in range(200):
        answer, ms = _timed(lambda: admin.get("/api/v1/audit/export.csv"))
        assert answer.status_code == 200
        slowest = max(slowest, ms)
    pool = app.state.engine.pool
    out["audit_exports_200"] = {"slowest_ms": slowest, "pool_checked_out": pool.checkedout()}

    rows = [f"probe{n}.example,Probe {n},{n}" for n in range(1, 6501)]
    rows[5500] = "probe5501.example,Probe 5501,99999999999999999999"
    out["import_bad_cell_line_5502"] = _import(
        engine, "accounts", "domain,name,employees\n" + "\n".join(rows) + "\n", folder
    )

    guesser = _client(app, None)
    form = {"email": "rep3@tandem.demo", "password": "wrong", "next": "/",
            "csrf_token": guesser.cookies.get("tandem_csrf")}  # fmt: skip
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: guesser.post("/login", data=form).status_code, range(40)))
    out["parallel_wrong_passwords_40"] = {"401": codes.count(401), "429": codes.count(429)}
    colleague = _client(app, "rep2@tandem.demo")
    out["colleague_at_same_address_signs_in"] = colleague.get("/api/v1/me").status_code == 200

    out["goals_api_cookie_without_csrf"] = admin.post(
        "/api/v1/goals", json={"team": "sales", "metric": "bookings", "period": "2026-Q4",
                               "target": 1}, headers={"X-CSRF-Token": ""}
    ).status_code  # fmt: skip
    out["ingest_commit_stored_dotdot"] = admin.post(
        "/ingest/commit",
        data={"stored": "..", "kind": "contacts", "profile": "generic",
              "csrf_token": admin.cookies.get("tandem_csrf")},
    ).status_code  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a copy of a `tandem demo setup` SQLite file")
    print(json.dumps(probe(parser.parse_args().db), indent=1, default=str))


if __name__ == "__main__":
    main()
