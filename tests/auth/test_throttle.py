"""Sign-in throttling (issue 21: 19 of 40 parallel wrong passwords were checked against a limit
of 5, and one person's typos locked everyone behind the same office address out). Per account
and per address, separate limits, atomic under concurrency."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tandem.auth.models import LoginAttempt
from tandem.auth.roles import Role
from tandem.auth.throttle import ThrottlePolicy
from tandem.settings import Settings
from tandem.web.app import create_app
from tandem.web.csrf import CSRF_COOKIE
from tests import factories as f
from tests.factories import PASSWORD

POLICY = ThrottlePolicy()


def _login(client: TestClient, email: str, password: str) -> int:
    client.get("/login")
    token = client.cookies.get(CSRF_COOKIE)
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    return answer.status_code


def test_one_persons_typos_do_not_lock_out_a_colleague_at_the_same_address(client, db):
    typist, colleague = f.user(db, Role.SALES_REP), f.user(db, Role.SALES_REP)
    for _ in range(POLICY.per_account):
        assert _login(client, typist.email, "wrong") == 401
    assert _login(client, typist.email, PASSWORD) == 429  # that account waits
    assert _login(client, colleague.email, PASSWORD) == 303  # the colleague does not


def test_a_password_spraying_address_is_slowed(client, db):
    real = f.user(db, Role.SALES_REP)
    sprayed = [f"person{n}@spray.example" for n in range(POLICY.per_address)]
    answers = [_login(client, email, "Summer2026!") for email in sprayed]
    assert answers == [401] * POLICY.per_address  # no one account failed twice
    assert _login(client, real.email, PASSWORD) == 429  # refused because of the address


@pytest.fixture
def own_app(migrated_database, tmp_path) -> Iterator[tuple[TestClient, object, str]]:
    """An app on its own database and pool, so parallel sign-ins really run in parallel."""
    url, engine = migrated_database("throttle")
    with Session(engine) as db:
        email = f.user(db, Role.SALES_REP).email
        db.commit()
    app = create_app(Settings(database_url=url, environment="test", data_dir=str(tmp_path)))
    with TestClient(app) as client:
        yield client, engine, email
    app.state.engine.dispose()


def test_parallel_wrong_passwords_get_exactly_the_limit_of_checks(own_app):
    client, engine, email = own_app
    client.get("/login")
    token = client.cookies.get(CSRF_COOKIE)
    form = {"email": email, "password": "wrong", "csrf_token": token, "next": "/"}

    def attempt(_: int) -> int:
        return client.post("/login", data=form, follow_redirects=False).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(40)))
    assert sorted(answers).count(401) == POLICY.per_account
    assert answers.count(429) == 40 - POLICY.per_account
    with Session(engine) as db:
        recorded = db.scalar(select(func.count()).select_from(LoginAttempt))
    assert recorded == POLICY.per_account  # refused attempts are not counted against later
