"""Weekly review subscriptions, and building the review for a week label."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.analytics.frames import Facts
from tandem.analytics.periods import Period, parse_period
from tandem.reports.models import ReportDelivery, ReportSubscription
from tandem.reports.schemas import WeeklyReview
from tandem.reports.weekly import weekly_review

WEEKLY = "weekly"


class ReportError(ValueError):
    """A report cannot be built or sent as asked; the message is for the user."""


def parse_week(label: str | None) -> Period | None:
    """An ISO week from ``2026-W47``; None for no label; `ReportError` for anything else."""
    if not label:
        return None
    try:
        period = parse_period(label)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    if "-W" not in period.label:
        raise ReportError(f"{label!r} is not an ISO week (write 2026-W47)")
    return period


def build_weekly(
    *, db_session: Session, facts: Facts, as_of: datetime, week: str | None = None
) -> WeeklyReview:
    """The review of `week` (default: the last complete week)."""
    return weekly_review(db_session=db_session, facts=facts, as_of=as_of, week=parse_week(week))


def subscribe(*, db_session: Session, email: str, user_id: int | None = None) -> ReportSubscription:
    """Add (or reactivate) a subscriber to the weekly review."""
    email = email.strip().lower()
    if "@" not in email:
        raise ReportError(f"{email!r} is not an email address")
    row = db_session.scalar(
        select(ReportSubscription).where(
            ReportSubscription.report == WEEKLY, ReportSubscription.email == email
        )
    )
    row = row or ReportSubscription(report=WEEKLY, email=email, user_id=user_id)
    row.is_active = True
    db_session.add(row)
    db_session.flush()
    return row


def unsubscribe(*, db_session: Session, email: str) -> bool:
    """Stop sending to `email`; False when it was not subscribed."""
    row = db_session.scalar(
        select(ReportSubscription).where(
            ReportSubscription.report == WEEKLY, ReportSubscription.email == email.strip().lower()
        )
    )
    if row is None or not row.is_active:
        return False
    row.is_active = False
    db_session.flush()
    return True


def subscribers(*, db_session: Session) -> list[str]:
    """Active subscriber addresses, sorted."""
    return list(
        db_session.scalars(
            select(ReportSubscription.email)
            .where(ReportSubscription.report == WEEKLY, ReportSubscription.is_active)
            .order_by(ReportSubscription.email)
        )
    )


def was_sent(*, db_session: Session, week: str) -> bool:
    """Whether the review of `week` has already gone out."""
    return (
        db_session.scalar(
            select(ReportDelivery.id).where(
                ReportDelivery.report == WEEKLY, ReportDelivery.period == week
            )
        )
        is not None
    )


def record_sent(*, db_session: Session, week: str, recipients: int, at: datetime) -> None:
    """Remember that the review of `week` went to `recipients` addresses."""
    db_session.add(ReportDelivery(report=WEEKLY, period=week, recipients=recipients, sent_at=at))
    db_session.flush()
