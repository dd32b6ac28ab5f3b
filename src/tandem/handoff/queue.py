"""Lists of handoffs: a rep's queue and a manager's SLA board, most urgent first.

Urgency is the SLA status (breached, at risk, due), then the score (best leads first), then
the deadline. Statuses come from the pure `sla_clock`, the same as the scheduler sees them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from tandem.accounts.models import Account
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.handoff.account_scores import subject_scores
from tandem.handoff.clocks import evaluate
from tandem.handoff.models import Handoff, HandoffStatus, Subject
from tandem.handoff.reports import commitments
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.schemas import (
    URGENCY,
    BoardRep,
    BoardView,
    HandoffRead,
    QueueItem,
    QueueView,
    ReasonView,
    SlaView,
)
from tandem.handoff.scores import ScoreProvider, table_scores
from tandem.handoff.service import NotAllowed

_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)
LIMIT = 500  # rows a page evaluates; queues are bounded by rep capacity, boards by this


def _items(
    db: Session,
    config: HandoffConfig,
    where: Sequence[object],
    as_of: dt.datetime,
    scores: ScoreProvider,
) -> list[QueueItem]:
    owner = aliased(User)
    rows = db.execute(
        select(Handoff, Contact, Account.id, Account.name, owner.name)
        .outerjoin(Contact, Handoff.contact_id == Contact.id)
        # A lead's account is its contact's; an account handoff's is its own.
        .outerjoin(Account, func.coalesce(Contact.account_id, Handoff.account_id) == Account.id)
        .outerjoin(owner, Handoff.owner_id == owner.id)
        .where(*where)
        .order_by(Handoff.accept_due_at, Handoff.id)
        .limit(LIMIT)
    ).all()
    known = scores(db, [c.id for _, c, _, _, _ in rows if c is not None])
    account_scores = subject_scores(db, [h.account_id for h, c, *_ in rows if c is None])
    items = []
    for h, c, account_id, account_name, owner_name in rows:
        status = evaluate(config, h, (), as_of).status
        items.append(
            QueueItem(
                handoff=HandoffRead.model_validate(h),
                subject_label=Subject.LABELS.get(h.subject, h.subject),
                url=packet_url(h),
                contact_name=c.full_name if c else account_name or f"account {h.account_id}",
                email=c.email if c else None,
                title=c.title if c else h.cause,
                account_id=account_id,
                account_name=account_name,
                owner_name=owner_name,
                score=known.get(c.id) if c else account_scores.get(h.account_id),
                sla=SlaView.of(status) if status else None,
            )
        )
    return sorted(items, key=urgency)


def packet_url(handoff: Handoff) -> str:
    """The packet page of a handoff: the lead's, or the account's."""
    if handoff.contact_id is not None:
        return f"/handoff/leads/{handoff.contact_id}"
    return f"/handoff/accounts/{handoff.account_id}"


def urgency(item: QueueItem) -> tuple[int, float, dt.datetime]:
    """Sort key: SLA status, then score (higher first), then the nearest open deadline."""
    score = -(item.score.total if item.score else 0.0)
    if item.sla is None:
        return (len(URGENCY), score, _NEVER)
    clocks = [c for c in (item.sla.accept, item.sla.first_touch) if c and c.completed_at is None]
    deadline = min((c.deadline for c in clocks), default=item.sla.accept.deadline)
    return (URGENCY[item.sla.urgency], score, deadline)


def rep_queue(
    *,
    db_session: Session,
    config: HandoffConfig,
    user: User,
    as_of: dt.datetime,
    scores: ScoreProvider = table_scores,
) -> QueueView:
    """The leads `user` should answer, and their accepted leads still owed a first touch."""
    mine = Handoff.owner_id == user.id
    if config.rules.fallback.claimable and user.role in (Role.SALES_REP, Role.SALES_MANAGER):
        mine = or_(mine, Handoff.owner_id.is_(None))
    to_decide = _items(
        db_session, config, [Handoff.status == HandoffStatus.OPEN, mine], as_of, scores
    )
    to_touch = _items(
        db_session,
        config,
        [
            Handoff.status == HandoffStatus.ACCEPTED,
            Handoff.owner_id == user.id,
            Handoff.first_touch_at.is_(None),
        ],
        as_of,
        scores,
    )
    return QueueView(
        as_of=as_of,
        user_id=user.id,
        to_decide=to_decide,
        to_touch=to_touch,
        reject_reasons=[
            ReasonView(code=r.code, label=r.label, outcome=r.outcome) for r in config.reject_reasons
        ],
    )


def sla_board(
    *,
    db_session: Session,
    config: HandoffConfig,
    user: User,
    as_of: dt.datetime,
    scores: ScoreProvider = table_scores,
    window_days: int = 30,
) -> BoardView:
    """A manager's teams (every team for admins and executives): live leads by urgency, per
    rep counts, SLA compliance over the window, and marketing's MQL commitments."""
    if user.role in (Role.ADMIN, Role.EXECUTIVE):
        teams = list(config.rules.teams)
    elif user.role == Role.SALES_MANAGER:
        teams = config.managed_teams(user.id)
    else:
        raise NotAllowed("the SLA board is for sales managers, admins and executives")
    reps = {
        uid
        for t in teams
        for r in config.rules.teams[t].reps
        if (uid := config.user_id(r.user_id)) is not None
    }
    scope = or_(Handoff.team.in_(teams), Handoff.owner_id.in_(reps))
    leads = _items(
        db_session, config, [Handoff.status.in_(HandoffStatus.LIVE), scope], as_of, scores
    )
    counts: Counter[tuple[int | None, str]] = Counter()
    names: dict[int | None, str] = {}
    for item in leads:
        oid = item.handoff.owner_id
        names[oid] = item.owner_name or f"queue {item.handoff.queue}"
        counts[(oid, "open")] += 1
        if item.sla and item.sla.urgency in ("at_risk", "breached"):
            counts[(oid, item.sla.urgency)] += 1
    accept_pct, touch_pct = _compliance(db_session, scope, as_of, window_days)
    return BoardView(
        as_of=as_of,
        teams=teams,
        reps=[
            BoardRep(
                user_id=oid,
                name=name,
                open=counts[(oid, "open")],
                at_risk=counts[(oid, "at_risk")],
                breached=counts[(oid, "breached")],
            )
            for oid, name in sorted(names.items(), key=lambda kv: kv[1])
        ],
        leads=leads,
        accept_met_pct=accept_pct,
        first_touch_met_pct=touch_pct,
        window_days=window_days,
        commitments=commitments(db_session=db_session, config=config, as_of=as_of),
    )


def _compliance(
    db: Session, scope: object, as_of: dt.datetime, days: int
) -> tuple[float | None, float | None]:
    """Share of accept and first-touch clocks met, among those started in the window that
    have finished (answered, touched, or past their deadline)."""
    rows = db.execute(
        select(
            Handoff.accepted_at,
            Handoff.rejected_at,
            Handoff.first_touch_at,
            Handoff.accept_due_at,
            Handoff.first_touch_due_at,
        ).where(
            scope,
            Handoff.subject == Subject.LEAD,  # the board's compliance figure is the leads'
            Handoff.clock_started_at >= as_of - dt.timedelta(days=days),
        )
    ).all()
    accept, touch = [], []
    for accepted, rejected, touched, accept_due, touch_due in rows:
        answered = min((t for t in (accepted, rejected) if t), default=None)
        if accept_due and (answered or accept_due < as_of):
            accept.append(answered is not None and answered <= accept_due)
        if touch_due and rejected is None and (touched or touch_due < as_of):
            touch.append(touched is not None and touched <= touch_due)

    def pct(xs: list[bool]) -> float | None:
        return round(100 * sum(xs) / len(xs), 1) if xs else None

    return pct(accept), pct(touch)
