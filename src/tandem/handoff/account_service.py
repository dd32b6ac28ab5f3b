"""Sales' answer to an account handoff (an MQA, an expansion signal, a churn risk): accept or
reject with a reason code configured for its subject, audited.

The same conditional UPDATE as a lead's answer decides a race. Accepting an MQA is the fact the
account journey reads (`accepted` in the stage rules, e.g. a "sales-accepted" stage); accepting
an expansion opens one expansion opportunity on the account (amount unknown unless the signal
carries an estimate); accepting a churn risk records the owner's commitment to work it (the
acceptance itself, with the signal marked accepted). A rep answers only their own account
handoffs (403 otherwise); managers those of their team.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem import errors
from tandem.accounts.models import Account
from tandem.audit import service as audit
from tandem.auth.models import User
from tandem.handoff.clocks import evaluate
from tandem.handoff.models import Handoff, HandoffStatus, Subject
from tandem.handoff.reasons import check_reject_reason
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.schemas import HandoffRead
from tandem.handoff.service import (
    AlreadyHandled,
    HandoffError,
    answer_open,
    ensure_sales,
    in_queue,
)
from tandem.opportunities.models import Opportunity
from tandem.opportunities.stages import DealStage, DealType
from tandem.usage.models import UsageSignal

#: The signal evidence key an allowance-based estimate of the expansion's amount would use.
ESTIMATE_KEY = "estimated_amount"
NO_ESTIMATE = "the usage signal carries no estimate of the expansion's amount"


class AccountNotFound(HandoffError, errors.NotFound):
    """No account with that id."""


class NotYours(HandoffError, errors.Forbidden):
    """The account handoff is another rep's (or another team's)."""


class UnknownSubject(HandoffError, errors.Invalid):
    """A subject other than account, expansion or churn_risk."""


def open_handoff(
    db_session: Session, config: HandoffConfig, account_id: int, subject: str, user: User
) -> tuple[Handoff, Account]:
    """The account's open handoff of `subject` that `user` may answer, or the domain error
    saying why not (404 account, 409 none open, 403 not theirs)."""
    if subject not in Subject.ACCOUNTS:
        raise UnknownSubject(
            f"unknown subject {subject!r}; use one of: {', '.join(Subject.ACCOUNTS)}"
        )
    account = db_session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(f"no account with id {account_id}")
    handoff = latest(db_session, account_id, subject)
    label = Subject.LABELS[subject]
    if handoff is None:
        raise AlreadyHandled(f"{account.name} was never handed to sales as {label}")
    if handoff.status != HandoffStatus.OPEN:
        raise AlreadyHandled(f"{account.name}'s {label} handoff is {handoff.status} already")
    if not in_queue(config, handoff, user):
        raise NotYours(f"{account.name}'s {label} handoff is not in your queue")
    return handoff, account


def latest(db_session: Session, account_id: int, subject: str) -> Handoff | None:
    """The account's most recent handoff of `subject`, whatever its status."""
    return db_session.scalar(
        select(Handoff)
        .where(Handoff.account_id == account_id, Handoff.subject == subject)
        .order_by(Handoff.mql_at.desc(), Handoff.id.desc())
        .limit(1)
    )


def accept(
    *,
    db_session: Session,
    config: HandoffConfig,
    account_id: int,
    subject: str,
    user: User,
    as_of: dt.datetime,
) -> HandoffRead:
    """Accept the account handoff: it is `user`'s (and so is an unowned account); an
    expansion opens its opportunity, a signal is marked accepted."""
    ensure_sales(user)
    handoff, account = open_handoff(db_session, config, account_id, subject, user)
    answer_open(
        db_session,
        handoff,
        status=HandoffStatus.ACCEPTED,
        accepted_at=as_of,
        accepted_by_id=user.id,
        owner_id=user.id,
    )
    if account.owner_id is None:
        account.owner_id = user.id
    if subject == Subject.EXPANSION:
        deal = open_expansion(db_session, account, handoff, user, as_of)
        db_session.execute(
            update(Handoff).where(Handoff.id == handoff.id).values(opportunity_id=deal.id)
        )
    _mark_signal(db_session, handoff, "accepted")
    _audit(db_session, user, handoff, "handoff.account.accept", {"status": "accepted"})
    return _done(db_session, config, handoff, as_of)


def reject(
    *,
    db_session: Session,
    config: HandoffConfig,
    account_id: int,
    subject: str,
    user: User,
    reason_code: str,
    comment: str | None,
    as_of: dt.datetime,
) -> HandoffRead:
    """Reject the account handoff with a reason code of its subject (UnknownRejectReason
    otherwise); the signal, if any, is marked rejected."""
    ensure_sales(user)
    check_reject_reason(config.sla.reasons_for(subject), reason_code)
    handoff, _ = open_handoff(db_session, config, account_id, subject, user)
    note = (comment or "").strip()[:2000] or None
    answer_open(
        db_session,
        handoff,
        status=HandoffStatus.REJECTED,
        rejected_at=as_of,
        rejected_by_id=user.id,
        reject_code=reason_code,
        reject_comment=note,
    )
    _mark_signal(db_session, handoff, "rejected")
    after = {"status": "rejected", "reason_code": reason_code, "comment": note}
    _audit(db_session, user, handoff, "handoff.account.reject", after)
    return _done(db_session, config, handoff, as_of)


def estimate(evidence: dict | None) -> Decimal | None:
    """The expansion amount the signal estimated from its allowance, if it carries one."""
    value = (evidence or {}).get(ESTIMATE_KEY)
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def open_expansion(
    db_session: Session, account: Account, handoff: Handoff, user: User, as_of: dt.datetime
) -> Opportunity:
    """One expansion opportunity (deal type upsell: the expansion of an existing customer) on
    the account, owned by `user`, in discovery; its amount unknown unless estimated."""
    signal = db_session.get(UsageSignal, handoff.signal_id) if handoff.signal_id else None
    amount = estimate(signal.evidence if signal else None)
    rule = signal.rule if signal else handoff.cause or "usage"
    deal = Opportunity(
        name=f"{account.name}: expansion ({rule})"[:300],
        account_id=account.id,
        stage=DealStage.DISCOVERY.value,
        amount=amount,
        created_at=as_of,
        deal_type=DealType.UPSELL.value,
        owner_id=user.id,
        source=f"handoff:expansion:{handoff.id}"[:100],
        region=account.region,
        vertical=account.industry,
        unknown={} if amount is not None else {"amount": NO_ESTIMATE},
    )
    db_session.add(deal)
    db_session.flush()
    return deal


def _mark_signal(db_session: Session, handoff: Handoff, status: str) -> None:
    if handoff.signal_id is not None:
        db_session.execute(
            update(UsageSignal).where(UsageSignal.id == handoff.signal_id).values(status=status)
        )


def _audit(db_session: Session, user: User, handoff: Handoff, action: str, after: dict) -> None:
    audit.record(
        db_session=db_session,
        actor_user_id=user.id,
        action=action,
        entity_type="handoff",
        entity_id=handoff.id,
        before={"status": HandoffStatus.OPEN, "subject": handoff.subject},
        after={**after, "account_id": handoff.account_id},
    )


def _done(
    db_session: Session, config: HandoffConfig, handoff: Handoff, as_of: dt.datetime
) -> HandoffRead:
    db_session.refresh(handoff)
    ev = evaluate(config, handoff, (), as_of)
    handoff.accept_due_at, handoff.first_touch_due_at = ev.accept_due_at, ev.first_touch_due_at
    handoff.next_check_at = as_of if ev.next_check_at else None
    db_session.flush()
    return HandoffRead.model_validate(handoff)
