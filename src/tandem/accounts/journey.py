"""Account journey stages in the store: the daily snapshot (idempotent per day, one
set-based pass) and the history, conversion and time in stage read from snapshots."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from tandem.accounts import definitions
from tandem.accounts import stages as pure
from tandem.accounts.models import Account, AccountScore, AccountStageSnapshot
from tandem.accounts.scores import open_pipeline


def current(db_session: Session, account_id: int | None = None) -> dict[int, str]:
    """Every account's stage now (or one account's), from its stored score and deals."""
    d, _ = definitions.active(db_session, "account_stages")
    query = select(
        AccountScore.account_id,
        AccountScore.is_mqa,
        AccountScore.people_engaged,
        AccountScore.total,
    )
    ids = select(Account.id)
    if account_id is not None:
        query = query.where(AccountScore.account_id == account_id)
        ids = ids.where(Account.id == account_id)
    scores = {
        aid: (mqa, people, float(total)) for aid, mqa, people, total in db_session.execute(query)
    }
    deals = open_pipeline(db_session, account_id)
    accepted = accepted_mqas(db_session, account_id)
    out = {}
    for (aid,) in db_session.execute(ids):
        mqa, people, total = scores.get(aid, (False, 0, 0.0))
        _, open_deals, won = deals.get(aid, (0.0, 0, 0))
        facts = pure.StageFacts(
            won_deals=won,
            open_deals=open_deals,
            mqa=mqa,
            people_engaged=people,
            score=total,
            accepted=aid in accepted,
        )
        out[aid] = pure.evaluate(d, facts)
    return out


def accepted_mqas(db_session: Session, account_id: int | None = None) -> set[int]:
    """Accounts whose current MQA (the stored MQA moment) sales accepted through the handoff:
    the fact the stage rule `accepted` reads (stages are evaluated, never written)."""
    from tandem.handoff.models import Handoff, Subject

    query = (
        select(Handoff.account_id)
        .join(AccountScore, AccountScore.account_id == Handoff.account_id)
        .where(
            Handoff.subject == Subject.ACCOUNT,
            Handoff.accepted_at.is_not(None),  # accepted, or since closed after a first touch
            Handoff.mql_at == AccountScore.mqa_at,
        )
    )
    if account_id is not None:
        query = query.where(Handoff.account_id == account_id)
    return set(db_session.scalars(query))


def snapshot(db_session: Session, *, day: date) -> dict[str, Any]:
    """Write every account's stage for `day` (again: the day's rows are replaced)."""
    stages = current(db_session)
    tiers = {
        aid: int(t) if t and t.isdigit() else None
        for aid, t in db_session.execute(select(Account.id, Account.tier))
    }
    db_session.execute(delete(AccountStageSnapshot).where(AccountStageSnapshot.day == day))
    rows = [
        {"account_id": a, "day": day, "stage": s, "tier": tiers.get(a)} for a, s in stages.items()
    ]
    for i in range(0, len(rows), 20000):
        db_session.execute(insert(AccountStageSnapshot), rows[i : i + 20000])
    counts: dict[str, int] = {}
    for s in stages.values():
        counts[s] = counts.get(s, 0) + 1
    return {"day": day.isoformat(), "accounts": len(rows), "stages": counts}


def history(db_session: Session, account_id: int) -> list[pure.Stay]:
    rows = db_session.execute(
        select(
            AccountStageSnapshot.account_id, AccountStageSnapshot.day, AccountStageSnapshot.stage
        ).where(AccountStageSnapshot.account_id == account_id)
    ).all()
    return sorted(pure.stays(rows), key=lambda s: s.start)


def report(db_session: Session, since: date | None = None) -> list[pure.StageRow]:
    """Stage conversion and mean time in stage per tier, from the snapshots."""
    d, _ = definitions.active(db_session, "account_stages")
    query = select(
        AccountStageSnapshot.account_id, AccountStageSnapshot.day, AccountStageSnapshot.stage
    )
    if since is not None:
        query = query.where(AccountStageSnapshot.day >= since)
    runs = pure.stays(db_session.execute(query).all())
    tiers = {aid: t for aid, t in db_session.execute(select(Account.id, Account.tier))}
    return pure.conversion(d, runs, tiers)
