"""The packet of a handed-off account: the account packet (`tandem.accounts`) beside each of
the account's latest handoffs (one per subject) with its clocks, reject reasons and, for a
usage signal, the usage behind it (`tandem.usage`). One view-model for the page and the JSON."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts import service as accounts
from tandem.auth.visibility import Visibility
from tandem.handoff.clocks import evaluate
from tandem.handoff.models import Handoff, HandoffStatus, Subject
from tandem.handoff.runtime import HandoffConfig
from tandem.handoff.schemas import (
    AccountHandoffView,
    AccountPacketView,
    HandoffRead,
    ReasonView,
    SlaView,
)
from tandem.usage import service as usage
from tandem.usage.views import signal_packet


def account_handoffs(db_session: Session, account_id: int) -> list[Handoff]:
    """The account's most recent handoff of each account subject (MQA, expansion, churn risk)."""
    rows = db_session.scalars(
        select(Handoff)
        .where(Handoff.account_id == account_id, Handoff.subject.in_(Subject.ACCOUNTS))
        .order_by(Handoff.mql_at.desc(), Handoff.id.desc())
    ).all()
    latest: dict[str, Handoff] = {}
    for h in rows:
        latest.setdefault(h.subject, h)
    return [latest[s] for s in Subject.ACCOUNTS if s in latest]


def build_account_packet(
    *,
    db_session: Session,
    config: HandoffConfig,
    account_id: int,
    as_of: dt.datetime,
    visible_to: Visibility = None,
) -> AccountPacketView:
    """The account's packet (raises accounts.AccountNotFound); the committee and deals hold
    only what `visible_to` may open."""
    packet = accounts.account_packet(
        db_session=db_session, account_id=account_id, as_of=as_of, visible_to=visible_to
    )
    views = []
    for h in account_handoffs(db_session, account_id):
        live = h.status != HandoffStatus.CLOSED
        status = evaluate(config, h, (), as_of).status if live else None
        signal = None
        if h.signal_id is not None:
            try:
                found = signal_packet(db_session, signal_id=h.signal_id, as_of=as_of)
            except usage.SignalNotFound:
                found = None
            signal = found.model_dump(mode="json") if found else None
        views.append(
            AccountHandoffView(
                handoff=HandoffRead.model_validate(h),
                subject_label=Subject.LABELS[h.subject],
                sla=SlaView.of(status) if status else None,
                reject_reasons=[
                    ReasonView(code=r.code, label=r.label, outcome=r.outcome)
                    for r in config.sla.reasons_for(h.subject)
                ],
                signal=signal,
            )
        )
    return AccountPacketView(
        as_of=as_of,
        account_id=account_id,
        account_name=packet["account"]["name"],
        handoffs=views,
        packet=packet,
    )
