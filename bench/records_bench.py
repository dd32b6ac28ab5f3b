"""The pipeline board and a deal edit at scale: p50/p95 of `board()` (a manager's, every deal;
a rep's, their own and unassigned) and of one deal's stage move with its version check, log row
and audit entry, on a generated SQLite database.

    PYTHONPATH=src .venv/bin/python bench/records_bench.py --deals 200000 -n 30

Prints one JSON object.
"""

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.db import make_engine
from tandem.migrate import upgrade
from tandem.opportunities import board, edit
from tandem.opportunities.models import Opportunity
from tandem.opportunities.stages import DealStage

AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _world(db: Session, deals: int, seed: int) -> tuple[User, User]:
    rng = random.Random(seed)
    boss = User(email="boss@x.example", name="Boss", password_hash="!", role=Role.SALES_MANAGER)
    reps = [
        User(email=f"rep{i}@x.example", name=f"Rep {i}", password_hash="!", role=Role.SALES_REP)
        for i in range(50)
    ]
    db.add_all([boss, *reps])
    db.flush()
    db.execute(insert(Account), [{"name": f"Account {i}"} for i in range(deals // 10)])
    stages = [s.value for s in DealStage]
    rows = []
    for i in range(deals):
        stage = rng.choice(stages)
        closed = stage.startswith("closed")
        rows.append(
            {
                "name": f"Deal {i}",
                "account_id": 1 + i // 10,
                "stage": stage,
                "amount": Decimal(rng.randint(1, 500) * 1000),
                "currency": "USD" if rng.random() < 0.95 else "EUR",
                "is_closed": closed,
                "is_won": stage == "closed_won",
                "closed_at": AS_OF - dt.timedelta(days=rng.randint(0, 700)) if closed else None,
                "expected_close_on": (AS_OF + dt.timedelta(days=rng.randint(-30, 200))).date(),
                "owner_id": rng.choice(reps).id if rng.random() < 0.9 else None,
            }
        )
    db.execute(insert(Opportunity), rows)
    db.commit()
    return boss, reps[0]


def _timed(work, n: int) -> dict[str, float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (n - 1))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("-n", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp()) / "records.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        start = time.perf_counter()
        boss, rep = _world(db, args.deals, args.seed)
        built = time.perf_counter() - start

        def show(viewer: User, visible: tuple[bool, int] | None):
            return lambda: board.board(
                db_session=db, viewer=viewer, visible_to=visible, currency="USD", as_of=AS_OF
            )

        manager = _timed(show(boss, None), args.n)
        mine = _timed(show(rep, (True, rep.id)), args.n)
        rng = random.Random(args.seed)

        def move() -> None:
            deal = db.get(Opportunity, rng.randint(1, args.deals))
            target = next(
                s for s in (DealStage.PROPOSAL, DealStage.NEGOTIATION) if s.value != deal.stage
            )
            step = edit.StageMove(stage=target, reason="bench")
            edit.move_deal(
                db_session=db, deal=deal, move=step, version=deal.version, actor=boss, at=AS_OF
            )
            db.commit()

        moves = _timed(move, args.n)
    print(
        json.dumps(
            {
                "deals": args.deals,
                "build_s": round(built, 1),
                "board_manager": manager,
                "board_rep": mine,
                "stage_move_commit": moves,
            }
        )
    )


if __name__ == "__main__":
    main()
