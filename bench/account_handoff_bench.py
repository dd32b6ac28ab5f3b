"""Account handoff benchmark: N accounts becoming MQAs at once, routed through the handoff by
the `AccountsQualified` handler in one transaction, then one SLA tick over them.

    .venv/bin/python bench/account_handoff_bench.py                  # 10,000 MQAs, SQLite
    .venv/bin/python bench/account_handoff_bench.py --accounts 10000 --database-url postgresql+psycopg://...

Routing: the example routing rules with capacities scaled (as `handoff_bench.py`); 60% of the
accounts have an owner (the account-owner step), the rest go by the territory rules. SLA: the
example policies; no policy names MQAs, so each lead policy lends its calendar and ladder to
the derived `<policy>:account` (accept within 8 business hours).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
from pathlib import Path

from handoff_bench import AS_OF, COUNTRIES, EXAMPLES, INDUSTRIES, scaled_routing, timed
from sqlalchemy import func, insert, select

from tandem.accounts.events import AccountsQualified
from tandem.accounts.models import Account
from tandem.auth.models import User
from tandem.db import make_engine, make_session_factory, session_scope
from tandem.events import publish
from tandem.handoff.models import Handoff, Notification
from tandem.handoff.runtime import ConfigCache
from tandem.handoff.tick import run_tick
from tandem.migrate import upgrade


def seed(factory, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    """The routing example's users and n accounts (60% owned by one of the reps)."""
    rng = random.Random(17)
    rules = scaled_routing()
    emails = sorted(
        {r.user_id for t in rules.teams.values() for r in t.reps}
        | {t.manager_id for t in rules.teams.values() if t.manager_id}
    )
    reps = sorted({r.user_id for t in rules.teams.values() for r in t.reps})
    with session_scope(factory) as db:
        db.execute(
            insert(User),
            [
                {"email": e, "name": e.split("@")[0], "password_hash": "!", "role": "sales_rep",
                 "capacity": 50, "is_active": True, "created_at": AS_OF}
                for e in emails
            ],
        )  # fmt: skip
        ids = dict(db.execute(select(User.email, User.id)).all())
        rows = []
        for i in range(n):
            country, region = rng.choice(COUNTRIES)
            owner = ids[rng.choice(reps)] if rng.random() < 0.6 else None
            rows.append(
                {"name": f"Account {i}", "domain": f"a{i}.example", "country": country,
                 "region": region, "industry": rng.choice(INDUSTRIES),
                 "employees": rng.choice([50, 500, 5000]), "is_target": False, "owner_id": owner,
                 "custom_fields": {}, "created_at": AS_OF, "updated_at": AS_OF}
            )  # fmt: skip
        db.execute(insert(Account), rows)
        return list(db.scalars(select(Account.id).order_by(Account.id)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    n = args.accounts
    print(f"python {sys.version.split()[0]}; {n:,} accounts becoming MQAs at once", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)  # with every capability's handlers
        ids, _ = timed(f"seed {n:,} accounts", seed, factory, n)
        routing = Path(tmp) / "routing.yaml"
        routing.write_text(scaled_routing().model_dump_json())  # JSON is YAML
        cache = ConfigCache(routing, EXAMPLES / "sla.yaml")
        with session_scope(factory) as db:
            cache.get(db)  # adopt the files as the active routing and SLA definitions

        def qualify() -> None:
            with session_scope(factory) as db:
                publish(db, AccountsQualified(ids, "bench@1", AS_OF, "rescore"))

        _, routed_s = timed(f"route {n:,} MQAs (one AccountsQualified, one transaction)", qualify)

        def tick(as_of: dt.datetime):  # type: ignore[no-untyped-def]
            with session_scope(factory) as db:
                return run_tick(db, cache.get(db), as_of=as_of)

        later = AS_OF + dt.timedelta(days=2)
        report, _ = timed("SLA tick two days later (every accept clock breached)", tick, later)
        print(f"  {report.model_dump(exclude={'as_of'})}")
        again, _ = timed("the same tick again (nothing due twice)", tick, later)
        assert again.escalations == 0 and again.notifications == 0
        with session_scope(factory) as db:
            handoffs = db.scalar(
                select(func.count()).select_from(Handoff).where(Handoff.subject == "account")
            )
            notes = db.scalar(select(func.count()).select_from(Notification))
        assert handoffs == n, handoffs
        print(f"  {handoffs:,} MQA handoffs, {notes:,} notifications ({engine.dialect.name}); "
              f"{1000 * routed_s / n:.2f} ms per MQA routed")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
