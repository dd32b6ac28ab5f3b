"""Sign-in throttling: per account and per address, with separate limits, atomic.

* Per account: `per_account` failures for one email within `window` lock that email only, so
  one person's typos never lock out colleagues who sign in from the same office address.
* Per address: `per_address` failures from one address (any emails) within `window` lock the
  address: a password-spraying address is slowed, a shared office is not.

`reserve` counts and records an attempt in one step that parallel sign-ins take one at a time
(PostgreSQL: advisory locks on the email and the address; SQLite: the write lock, taken by the
insert before the count), committed before the password is checked. So 40 parallel wrong
passwords get 5 checks, not 19 (issue 21). The attempt is a failure until `succeeded` marks it.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tandem.auth.models import LoginAttempt


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failed sign-ins allowed within `window`: per email, and per client address."""

    per_account: int = 5
    per_address: int = 30
    window: timedelta = timedelta(minutes=15)


class TooManyAttempts(Exception):
    """Sign-in refused until `retry_at`."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(f"Too many sign-in attempts. Try again after {retry_at:%H:%M} UTC.")
        self.retry_at = retry_at


def _lock_key(text: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )


def _serialize(db_session: Session, keys: list[str]) -> None:
    """Make parallel reservations for the same email or address wait for each other."""
    if db_session.get_bind().dialect.name == "postgresql":
        for key in keys:  # always email first, then address: no two wait on each other
            db_session.execute(select(func.pg_advisory_xact_lock(_lock_key(key))))
    # SQLite has one writer: the insert in `reserve` takes the lock before anything is read.


def _failures(
    db_session: Session, since: datetime, mine: int, *where: object
) -> tuple[int, datetime | None]:
    count, first = db_session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            LoginAttempt.attempted_at > since,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.id != mine,
            *where,
        )
    ).one()
    return count, first


def reserve(
    *,
    db_session: Session,
    email: str,
    client_ip: str | None,
    now: datetime,
    policy: ThrottlePolicy = ThrottlePolicy(),
) -> int:
    """Record an attempt (a failure until `succeeded`) and return its id, or raise
    `TooManyAttempts` when the email or the address is over its limit (then the caller rolls
    back and the refused attempt is not counted). Commit it before checking the password."""
    email = email.strip().lower()
    _serialize(db_session, [f"email:{email}", *([f"ip:{client_ip}"] if client_ip else [])])
    attempt = LoginAttempt(email=email, client_ip=client_ip, attempted_at=now, succeeded=False)
    db_session.add(attempt)
    db_session.flush()  # SQLite: the write lock, before the counts
    since = now - policy.window
    checks = [(policy.per_account, LoginAttempt.email == email)]
    if client_ip:
        checks.append((policy.per_address, LoginAttempt.client_ip == client_ip))
    for limit, where in checks:
        count, first = _failures(db_session, since, attempt.id, where)
        if count >= limit:
            raise TooManyAttempts((first or now) + policy.window)
    return attempt.id


def succeeded(*, db_session: Session, attempt_id: int) -> None:
    """Mark a reserved attempt as a successful sign-in (it no longer counts as a failure)."""
    db_session.execute(
        update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True)
    )
