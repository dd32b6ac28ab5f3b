"""People for the permission tests: users of each role, signing a test client in as one."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tandem.auth import service as auth
from tandem.auth.models import User
from tandem.auth.roles import Role
from tandem.db import utcnow
from tandem.web.deps import SESSION_COOKIE

#: Every read route with an object rule, as a rep would type it: `{bobs}` another rep's
#: contact, `{acct}` and `{opp}` that rep's account and deal, `{bob}` that rep.
OWNER_CHECKED_READS = [
    "/contacts/{bobs}",
    "/api/v1/contacts/{bobs}",
    "/handoff/leads/{bobs}",
    "/api/v1/handoff/leads/{bobs}",
    "/api/v1/scoring/contacts/{bobs}",
    "/api/v1/handoff/routing/{bobs}",
    "/handoff/routing?contact={bobs}",
    "/accounts/{acct}",
    "/api/v1/accounts/{acct}",
    "/opportunities/{opp}/retrospective",
    "/opportunities/{opp}",
    "/opportunities/{opp}/edit",
    "/api/v1/opportunities/{opp}",
    "/contacts/{bobs}/edit",
    "/accounts/{acct}/edit",
    "/api/v1/contacts/{bobs}/entries",
    "/api/v1/attribution/opportunities/{opp}",
    "/api/v1/handoff/reps/{bob}/settings",
]


def person(db: Session, role: Role) -> User:
    """A user of `role` (no password: signed in by `sign_in`)."""
    row = User(email=f"{role.value}@matrix.example", name=role.value, password_hash="!", role=role)
    db.add(row)
    db.flush()
    return row


def sign_in(client: TestClient, db: Session, user: User) -> TestClient:
    """`client` with a fresh browser session of `user` (and no other cookie)."""
    secret = auth.start_session(db_session=db, user=user, now=utcnow(), hours=1)
    db.flush()
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, secret)
    return client
