"""Sign-in throttling: too many failures for one email or from one address lock it briefly."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tandem.auth.models import LoginAttempt


@dataclass(frozen=True)
class ThrottlePolicy:
    """At most `max_failures` failed sign-ins per email (or per address) within `window`."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


class TooManyAttempts(Exception):
    """Sign-in refused until `retry_at`."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(f"Too many sign-in attempts. Try again after {retry_at:%H:%M} UTC.")
        self.retry_at = retry_at


def check(
    *,
    db_session: Session,
    email: str,
    client_ip: str | None,
    now: datetime,
    policy: ThrottlePolicy = ThrottlePolicy(),
) -> None:
    """Raise `TooManyAttempts` when this email or address has failed too often recently."""
    since = now - policy.window
    who = [LoginAttempt.email == email.strip().lower()]
    if client_ip:
        who.append(LoginAttempt.client_ip == client_ip)
    failures = db_session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            LoginAttempt.attempted_at > since,
            LoginAttempt.succeeded.is_(False),
            or_(*who),
        )
    ).one()
    if failures[0] >= policy.max_failures:
        raise TooManyAttempts(failures[1] + policy.window)


def record(
    *, db_session: Session, email: str, client_ip: str | None, now: datetime, ok: bool
) -> None:
    """Remember an attempt (the caller commits it even when sign-in fails)."""
    db_session.add(
        LoginAttempt(
            email=email.strip().lower(), client_ip=client_ip, attempted_at=now, succeeded=ok
        )
    )
