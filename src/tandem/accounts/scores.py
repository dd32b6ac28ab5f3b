"""Account scores in the store: the facts of some accounts read once, scored with the active
`account_score` definition, written with their parts; the MQA moment published.

The `ActivitiesStored` handler (`on_activities_stored`) rescores the accounts of the new
activities' contacts in the writer's transaction; `rescore_all` rescores every account with the
vectorised roll-up (`rescore.py`)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import polars as pl
from sqlalchemy import (
    JSON,
    Integer,
    Text,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from tandem.accounts import definitions, rescore
from tandem.accounts.events import AccountsQualified
from tandem.accounts.models import Account, AccountScore, CommitteeRole, IntentSignal
from tandem.accounts.score import AccountFacts, Signal, Touch, score_account
from tandem.accounts.score import AccountScore as Score
from tandem.accounts.score_model import AccountScoreModel
from tandem.activities.models import Activity
from tandem.contacts.models import Contact
from tandem.db import utcnow
from tandem.engines.accounts import chosen_rollup
from tandem.events import ActivitiesStored, distinct_contacts, publish
from tandem.opportunities.models import Opportunity
from tandem.scoring.engine import epoch_us

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FIT_COLUMNS = (
    "name",
    "domain",
    "industry",
    "employee_band",
    "employees",
    "annual_revenue",
    "region",
    "country",
    "tier",
)


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


@lru_cache(maxsize=1)
def _statements() -> dict[str, Any]:
    """The reads of an incremental rescore, built once (the values come as parameters): an
    activity's rescore runs inside the request that stored it."""
    ids = bindparam("ids", expanding=True)
    cols = [getattr(Account, c) for c in FIT_COLUMNS]
    return {
        "fields": select(Account.id, *cols).where(Account.id.in_(ids)),
        "touches": select(
            Contact.account_id, Activity.contact_id, Activity.type, Activity.occurred_at
        )
        .join(Contact, Contact.id == Activity.contact_id)
        .where(
            Contact.account_id.in_(ids),
            Activity.occurred_at > bindparam("since"),
            Activity.occurred_at <= bindparam("until"),
            Activity.type.in_(bindparam("types", expanding=True)),
        ),
        # One round trip: imported roles first, the committee's (rep, import, guess) after.
        "roles": union_all(
            select(
                Contact.account_id, Contact.id, Contact.buying_role, literal(0).label("rank")
            ).where(Contact.account_id.in_(ids), Contact.buying_role != "unknown"),
            select(
                CommitteeRole.account_id,
                CommitteeRole.contact_id,
                CommitteeRole.role,
                literal(1).label("rank"),
            ).where(CommitteeRole.account_id.in_(ids), CommitteeRole.opportunity_id.is_(None)),
        ),
        "signals": select(
            IntentSignal.account_id,
            IntentSignal.topic,
            IntentSignal.strength,
            IntentSignal.observed_at,
        ).where(IntentSignal.account_id.in_(ids), IntentSignal.observed_at >= bindparam("since")),
        "before": select(AccountScore.account_id, AccountScore.is_mqa, AccountScore.mqa_at).where(
            AccountScore.account_id.in_(ids)
        ),
    }


def _fields(row: Any) -> dict[str, Any]:
    return {f"account.{c}": _number(v) for c, v in zip(FIT_COLUMNS, row[1:], strict=True)}


def fit_fields(db_session: Session, ids: Iterable[int] | None = None) -> dict[int, dict[str, Any]]:
    """account id -> {"account.<column>": value} of the columns fit rules read."""
    if ids is not None:
        rows = db_session.execute(_statements()["fields"], {"ids": list(ids)})
    else:
        rows = db_session.execute(select(Account.id, *[getattr(Account, c) for c in FIT_COLUMNS]))
    return {row[0]: _fields(row) for row in rows}


def roles_of(db_session: Session, account_ids: Sequence[int] | None) -> dict[int, dict[int, str]]:
    """account -> contact -> buying role: the committee's role (imported, confirmed or
    guessed), else the contact's imported `buying_role`. None: every account."""
    out: dict[int, dict[int, str]] = defaultdict(dict)
    if account_ids is None:
        imported = db_session.execute(
            select(Contact.account_id, Contact.id, Contact.buying_role).where(
                Contact.buying_role != "unknown"
            )
        )
        held = db_session.execute(
            select(CommitteeRole.account_id, CommitteeRole.contact_id, CommitteeRole.role).where(
                CommitteeRole.opportunity_id.is_(None)
            )
        )
    else:
        found = db_session.execute(_statements()["roles"], {"ids": list(account_ids)}).all()
        imported = [r[:3] for r in found if r[3] == 0]
        held = [r[:3] for r in found if r[3] == 1]
    for account_id, contact_id, role in imported:
        if account_id is not None:
            out[account_id][contact_id] = role
    for account_id, contact_id, role in held:
        out[account_id][contact_id] = role
    return out


def signals_of(
    db_session: Session, account_ids: Sequence[int] | None, since: datetime
) -> dict[int, list[Signal]]:
    if account_ids is None:
        rows = db_session.execute(
            select(
                IntentSignal.account_id,
                IntentSignal.topic,
                IntentSignal.strength,
                IntentSignal.observed_at,
            ).where(IntentSignal.observed_at >= since)
        )
    else:
        rows = db_session.execute(
            _statements()["signals"], {"ids": list(account_ids), "since": since}
        )
    out: dict[int, list[Signal]] = defaultdict(list)
    for aid, topic, strength, at in rows:
        out[aid].append(Signal(topic, strength, epoch_us(at)))
    return out


def account_facts(
    db_session: Session, model: AccountScoreModel, account_ids: Sequence[int], as_of: datetime
) -> list[AccountFacts]:
    """The facts of `account_ids` as of `as_of` (touches inside the engagement window)."""
    since = as_of - timedelta(days=model.engagement.window_days)
    touches: dict[int, list[Touch]] = defaultdict(list)
    rows = db_session.execute(
        _statements()["touches"],
        {
            "ids": list(account_ids),
            "since": since,
            "until": as_of,
            "types": list(model.engagement.weights),
        },
    )
    for aid, cid, kind, at in rows:
        touches[aid].append(Touch(cid, kind, epoch_us(at)))
    fields = fit_fields(db_session, account_ids)
    roles = roles_of(db_session, account_ids)
    window = model.intent.window_days if model.intent and model.intent.rules else 0
    signals = signals_of(db_session, account_ids, as_of - timedelta(days=window)) if window else {}
    return [
        AccountFacts(aid, fields[aid], touches[aid], roles.get(aid, {}), signals.get(aid, []))
        for aid in account_ids
        if aid in fields
    ]


def _values(score: Score, label: str, now: datetime) -> dict[str, Any]:
    d = score.as_dict()
    last = score.last_touch_us
    return {
        "account_id": score.account_id,
        "model_version": label,
        "total": score.total,
        "fit": score.section("fit"),
        "engagement": score.section("engagement"),
        "intent": score.section("intent"),
        "coverage": score.section("coverage"),
        "is_mqa": score.is_mqa,
        "people_engaged": score.people_engaged,
        "parts": d["parts"],
        "roles_missing": list(score.roles_missing),
        "last_touch_at": None if last is None else _EPOCH + timedelta(microseconds=last),
        "scored_at": now,
    }


@lru_cache(maxsize=1)
def _update_statement() -> Any:
    table = AccountScore.__table__
    return update(table).where(table.c.account_id == bindparam("aid"))


def write_scores(
    db_session: Session, scores: Sequence[Score], label: str, now: datetime, cause: str
) -> list[int]:
    """Store the scores; publish and return the accounts that became MQAs now."""
    ids = [s.account_id for s in scores]
    before: dict[int, tuple[bool, datetime | None]] = {}
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk : chunk + 5000]
        before.update(
            (aid, (mqa, at))
            for aid, mqa, at in db_session.execute(_statements()["before"], {"ids": part})
        )
    crossed, new_rows, changed = [], [], []
    for score in scores:
        values = _values(score, label, now)
        was = before.get(score.account_id)
        if score.is_mqa and not (was and was[0]):
            crossed.append(score.account_id)
            values["mqa_at"] = now
        else:
            values["mqa_at"] = was[1] if was and score.is_mqa else None
        (changed if was else new_rows).append(values)
    if new_rows:
        db_session.execute(insert(AccountScore), new_rows)
    if changed:
        stmt = _update_statement()
        db_session.execute(
            stmt,
            [
                {**{k: v for k, v in r.items() if k != "account_id"}, "aid": r["account_id"]}
                for r in changed
            ],
        )
    if crossed:
        publish(db_session, AccountsQualified(crossed, label, now, cause))
    return crossed


def score_accounts(
    db_session: Session,
    account_ids: Sequence[int],
    *,
    as_of: datetime | None = None,
    cause: str = "activity",
) -> list[Score]:
    """Rescore some accounts with the active model and store the scores."""
    model, label = definitions.active(db_session, "account_score")
    now = as_of or utcnow()
    db_session.flush()
    scores = [
        score_account(model, facts, as_of=now)
        for facts in account_facts(db_session, model, list(account_ids), now)
    ]
    write_scores(db_session, scores, label, now, cause)
    return scores


def frames(
    db_session: Session, model: AccountScoreModel, as_of: datetime, since: datetime | None = None
):
    """contacts and activities frames for the bulk roll-up, read from the store (activities
    from `since`, by default the engagement window before `as_of`)."""
    since = since or as_of - timedelta(days=model.engagement.window_days)
    roles = roles_of(db_session, None)
    contacts = [
        (cid, aid, roles.get(aid, {}).get(cid))
        for cid, aid in db_session.execute(
            select(Contact.id, Contact.account_id).where(Contact.account_id.is_not(None))
        )
    ]
    acts = [
        (cid, kind, epoch_us(at))
        for cid, kind, at in db_session.execute(
            select(Activity.contact_id, Activity.type, Activity.occurred_at).where(
                Activity.occurred_at > since, Activity.type.in_(list(model.engagement.weights))
            )
        )
    ]
    c = pl.DataFrame(
        contacts,
        schema={"contact_id": pl.Int64, "account_id": pl.Int64, "role": pl.String},
        orient="row",
    )
    a = pl.DataFrame(
        acts, schema={"contact_id": pl.Int64, "type": pl.String, "t": pl.Int64}, orient="row"
    )
    return c.lazy(), a.lazy()


def rescore_all(db_session: Session, *, as_of: datetime | None = None) -> dict[str, Any]:
    """Rescore every account with the vectorised roll-up, on the analytics engine chosen at
    start (`EngineFailed` from Spark before anything is written); replaces the stored scores."""
    model, label = definitions.active(db_session, "account_score")
    now = as_of or utcnow()
    db_session.flush()
    contacts, activities = frames(db_session, model, now)
    window = model.intent.window_days if model.intent else 0
    signals = signals_of(db_session, None, now - timedelta(days=window)) if window else {}
    scores = rescore.rescore(
        model,
        accounts=fit_fields(db_session),
        contacts=contacts,
        activities=activities,
        signals=rescore.signals_frame(signals),
        as_of_us=epoch_us(now),
        rollup=chosen_rollup,
    )
    crossed = write_scores(db_session, scores, label, now, "rescore")
    return {
        "model": label,
        "accounts": len(scores),
        "mqa": sum(s.is_mqa for s in scores),
        "new_mqa": len(crossed),
    }


def clear(db_session: Session) -> None:
    db_session.execute(delete(AccountScore))


def on_activities_stored(db_session: Session, event: ActivitiesStored) -> None:
    """Rescore the accounts of the new activities' contacts, in the writer's transaction."""
    contact_ids = distinct_contacts(event.activities)
    if not contact_ids:
        return
    db_session.flush()
    account_ids = _accounts_of(db_session, contact_ids)
    if account_ids:
        score_accounts(db_session, account_ids, cause="activity")


def _accounts_of(db_session: Session, contact_ids: list[int]) -> list[int]:
    """The accounts of some contacts, sorted, in one statement whatever their number (a bulk
    import announces up to 200,000 at once; PostgreSQL binds at most 65,535 parameters and
    SQLAlchemy renders each of an IN list's): the ids go as one parameter, a JSON array read by
    `json_array_elements_text` on PostgreSQL (psycopg dumps a list item by item in Python) or
    `json_each` on SQLite."""
    if db_session.connection().dialect.name == "postgresql":
        items = func.json_array_elements_text(cast(bindparam("ids", type_=Text), JSON))
        each = select(cast(column("value"), Integer)).select_from(items)
    else:
        each = select(column("value")).select_from(func.json_each(bindparam("ids")))
    listed, value = Contact.id.in_(each), json.dumps(contact_ids)
    query = select(Contact.account_id).where(listed, Contact.account_id.is_not(None)).distinct()
    return sorted(aid for (aid,) in db_session.execute(query, {"ids": value}))


def open_pipeline(
    db_session: Session, account_id: int | None = None
) -> dict[int, tuple[float, int, int]]:
    """account -> (open amount, open deals, won deals); one account's with `account_id`."""
    query = (
        select(
            Opportunity.account_id,
            func.coalesce(func.sum(Opportunity.amount).filter(Opportunity.is_closed.is_(False)), 0),
            func.count().filter(Opportunity.is_closed.is_(False)),
            func.count().filter(Opportunity.is_won.is_(True)),
        )
        .where(Opportunity.account_id.is_not(None))
        .group_by(Opportunity.account_id)
    )
    if account_id is not None:
        query = query.where(Opportunity.account_id == account_id)
    return {aid: (float(amount), int(o), int(w)) for aid, amount, o, w in db_session.execute(query)}


def backtest(
    db_session: Session,
    *,
    model: AccountScoreModel | None = None,
    months: int = 6,
    horizon_days: int = 90,
    as_of: datetime | None = None,
) -> tuple[str, list[Any]]:
    """Replay `model` (default: the active one) at the first of each of the last `months`
    months whose horizon has passed: MQAs then, and deals created within the horizon after.
    Each date's roll-up runs on the analytics engine chosen at start."""
    from tandem.accounts.backtest import backtest as replay

    label = "file"
    if model is None:
        model, label = definitions.active(db_session, "account_score")
    now = as_of or utcnow()
    last = (now - timedelta(days=horizon_days)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    dates = []
    for k in range(months - 1, -1, -1):
        year, month = divmod(last.month - 1 - k, 12)
        dates.append(last.replace(year=last.year + year, month=month + 1))
    window = timedelta(days=model.engagement.window_days)
    contacts, activities = frames(db_session, model, now, since=dates[0] - window)
    deals = pl.DataFrame(
        [
            (aid, epoch_us(at))
            for aid, at in db_session.execute(
                select(Opportunity.account_id, Opportunity.created_at).where(
                    Opportunity.account_id.is_not(None), Opportunity.created_at.is_not(None)
                )
            )
        ],
        schema={"account_id": pl.Int64, "created_us": pl.Int64},
        orient="row",
    )
    accounts = rescore.accounts_frame(
        fit_fields(db_session), sorted({r.field for r in model.fit.rules})
    )
    return label, replay(
        model,
        accounts=accounts,
        contacts=contacts,
        activities=activities,
        deals=deals,
        dates_us=[epoch_us(d) for d in dates],
        horizon_days=horizon_days,
        rollup=chosen_rollup,
    )
