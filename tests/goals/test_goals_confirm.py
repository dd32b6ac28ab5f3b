"""The goals form asks before it replaces a target that is set (it used to replace silently)."""

from decimal import Decimal

from sqlalchemy import select

from tandem.auth.roles import Role
from tandem.goals.models import Goal
from tandem.web.csrf import CSRF_COOKIE
from tests import factories as f
from tests.web.test_pages import login


def _post(client, target, **more):
    data = {"owner": "team:sales", "metric": "bookings", "period": "2026-Q4", "target": target}
    data["csrf_token"] = client.cookies.get(CSRF_COOKIE)
    return client.post("/goals", data={**data, **more}, follow_redirects=False)


def _targets(db):
    db.expire_all()
    return [g.target for g in db.scalars(select(Goal))]


def test_replacing_a_target_asks_first_and_keeps_it_until_confirmed(client, db):
    admin = f.user(db, role=Role.ADMIN)
    assert login(client, admin.email).status_code == 303
    assert _post(client, "100").status_code == 303
    asked = _post(client, "250")
    assert asked.status_code == 409 and 'id="confirm-replace"' in asked.text
    assert "already has a target of <strong>100</strong>" in asked.text
    assert 'name="replace" value="yes"' in asked.text and 'name="target" value="250"' in asked.text
    assert _targets(db) == [Decimal("100")]
    assert _post(client, "250", replace="yes").status_code == 303
    assert _targets(db) == [Decimal("250")]


def test_the_same_target_again_or_a_new_goal_needs_no_question(client, db):
    admin = f.user(db, role=Role.ADMIN)
    assert login(client, admin.email).status_code == 303
    assert _post(client, "100").status_code == 303
    assert _post(client, "100").status_code == 303
    assert _post(client, "7", period="2027-Q1").status_code == 303
    assert sorted(_targets(db)) == [Decimal("7"), Decimal("100")]
