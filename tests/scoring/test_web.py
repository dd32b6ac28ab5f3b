"""Scoring over HTTP: the model page, a proposal's diff, approve/reject rights, the JSON twins,
the backtest page, and the score section of the contact page."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tandem.auth.roles import Role
from tandem.db import utcnow
from tandem.scoring import approval
from tandem.scoring.models import ScoringModelVersion
from tandem.web.csrf import CSRF_COOKIE
from tests import factories as f
from tests.web.test_pages import login

from .store_support import activate, person, small_yaml, world


def _post(client, url, **data):
    data["csrf_token"] = client.cookies.get(CSRF_COOKIE)
    return client.post(url, data=data, follow_redirects=False)


def test_propose_diff_and_approval_through_the_pages(client, db, marketer, sales_manager):
    now = utcnow()
    activate(db, marketer, sales_manager, small_yaml(1), now)
    assert login(client, marketer.email).status_code == 303
    home = client.get("/scoring")
    assert home.status_code == 200 and "small@1" in home.text and 'id="propose"' in home.text
    bad = _post(
        client, "/scoring/proposals", yaml_text=small_yaml(2).replace("points: 30", "points: lots")
    )
    assert bad.status_code == 422 and "proposal.yaml:" in bad.text and "points" in bad.text
    made = _post(client, "/scoring/proposals", yaml_text=small_yaml(2, vp=25), note="VPs buy more")
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "small@2" in page.text and "against small@1" in page.text
    assert "vp" in page.text and "points: 20 -&gt; 25" in page.text
    assert "waiting for a sales manager" in page.text and 'id="approve"' not in page.text
    version_id = int(made.headers["location"].rsplit("/", 1)[1])
    refused = _post(client, f"/scoring/versions/{version_id}/approve")
    assert refused.status_code == 403 and "only a sales manager" in refused.text
    assert db.get(ScoringModelVersion, version_id).status == "proposed"
    client.cookies.clear()
    assert login(client, sales_manager.email).status_code == 303
    assert 'id="approve"' in client.get(f"/scoring/versions/{version_id}").text
    done = _post(client, f"/scoring/versions/{version_id}/approve", note="ok")
    assert done.status_code == 303 and done.headers["location"].endswith("done=approved")
    db.expire_all()
    assert db.get(ScoringModelVersion, version_id).active_flag == 1


def test_json_api_same_team_is_403_and_invalid_lists_lines(client, db, marketer, sales_manager):
    token_owner = person(db, Role.MARKETER)
    assert login(client, token_owner.email).status_code == 303
    headers = {"x-csrf-token": client.cookies.get(CSRF_COOKIE)}
    bad = client.post(
        "/api/v1/scoring/versions", json={"yaml_text": "name: x\nversion: 1\n"}, headers=headers
    )
    assert bad.status_code == 422
    issues = bad.json()["detail"]["issues"]
    assert issues and all(i["line"] == 1 for i in issues)  # missing top-level keys: line 1
    assert any("mql: required field is missing" in i["message"] for i in issues)
    made = client.post(
        "/api/v1/scoring/versions", json={"yaml_text": small_yaml()}, headers=headers
    )
    assert made.status_code == 201 and made.json()["version"]["status"] == "proposed"
    version_id = made.json()["version"]["id"]
    same_team = client.post(
        f"/api/v1/scoring/versions/{version_id}/approve", json={}, headers=headers
    )
    assert same_team.status_code == 403
    assert client.get("/api/v1/scoring").json()["pending"][0]["id"] == version_id
    assert login(client, sales_manager.email).status_code == 303
    other_team = {"x-csrf-token": client.cookies.get(CSRF_COOKIE)}
    approved = client.post(
        f"/api/v1/scoring/versions/{version_id}/approve", json={}, headers=other_team
    )
    assert approved.status_code == 200
    again = client.post(
        f"/api/v1/scoring/versions/{version_id}/reject", json={"note": "late"}, headers=other_team
    )
    assert again.status_code == 409 and "already active" in again.text


def test_contact_page_shows_score_parts_summing_to_the_total(client, db, marketer, sales_manager):
    now = utcnow()
    people = world(db, now - timedelta(days=1))
    activate(db, marketer, sales_manager, small_yaml(), now)
    viewer = person(db, Role.SALES_REP)
    assert login(client, viewer.email).status_code == 303
    lead = people[0]
    page = client.get(f"/contacts/{lead.id}")
    assert page.status_code == 200 and 'id="score"' in page.text
    total = Decimal(re.search(r'id="score-total">([-\d.]+)<', page.text).group(1))
    parts = [Decimal(p) for p in re.findall(r'<td class="num">([+-][\d.]+)', page.text)]
    shown_sum = Decimal(re.search(r'id="score-sum">([-\d.]+)<', page.text).group(1))
    assert parts and sum(parts) == total == shown_sum
    fit = Decimal(re.search(r'id="score-fit">([-\d.]+)<', page.text).group(1))
    engagement = Decimal(re.search(r'id="score-engagement">([-\d.]+)<', page.text).group(1))
    assert fit + engagement == total and fit == Decimal("30.00")
    as_json = client.get(f"/api/v1/scoring/contacts/{lead.id}").json()
    assert Decimal(str(as_json["total"])) == total and as_json["model"] == "small@1"


def test_contact_page_without_a_model_says_so(client, db):
    viewer = person(db, Role.SALES_REP)
    someone = f.contact(db)
    assert login(client, viewer.email).status_code == 303
    assert "No scoring model is active yet." in client.get(f"/contacts/{someone.id}").text


def test_backtest_page_compares_two_versions(client, db, marketer, sales_manager):
    now = utcnow()
    world(db, now - timedelta(days=20))
    first = activate(db, marketer, sales_manager, small_yaml(1), now)
    second = approval.propose(db_session=db, user=marketer, yaml_text=small_yaml(2, vp=45), now=now)
    assert login(client, sales_manager.email).status_code == 303
    page = client.get(
        f"/scoring/backtest?version={first.id}&compare={second.id}&capacity=5&reps=2&step_days=7"
    )
    assert page.status_code == 200
    assert page.text.count('class="card model-report"') == 2 and "small@2" in page.text
    assert "Within sales capacity" in page.text and "F1-best" in page.text
    listed = db.scalars(select(ScoringModelVersion.id)).all()
    assert set(listed) == {first.id, second.id}
