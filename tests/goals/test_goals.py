"""Goals and quotas: service, page, API and CLI, on both databases."""

from decimal import Decimal

import pytest
from typer.testing import CliRunner

from tandem.auth.roles import Role
from tandem.cli.main import app as cli
from tandem.goals import service
from tandem.goals.schemas import GoalIn
from tandem.web.csrf import CSRF_COOKIE
from tests import factories as f
from tests.analytics.conftest import seed_world
from tests.web.test_pages import login


def test_setting_the_same_goal_again_changes_its_target(db):
    first = service.set_goal(
        db_session=db, goal_in=GoalIn(team="sales", metric="bookings", period="2026-q4", target=100)
    )
    again = service.set_goal(
        db_session=db, goal_in=GoalIn(team="sales", metric="bookings", period="2026-Q4", target=250)
    )
    assert first.id == again.id and again.target == Decimal("250") and again.period == "2026-Q4"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"metric": "bookings", "period": "2026-Q4", "target": 1}, "exactly one"),
        (
            {"team": "ops", "metric": "bookings", "period": "2026-Q4", "target": 1},
            "team must be one of",
        ),
        (
            {"team": "sales", "metric": "vibes", "period": "2026-Q4", "target": 1},
            "metric must be one of",
        ),
        (
            {"team": "sales", "metric": "bookings", "period": "2026-Q4", "target": -5},
            "greater than or equal",
        ),
    ],
)
def test_bad_goals_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        GoalIn(**fields)


def test_goals_page_shows_team_goals_beside_quotas_for_both_teams(client, db):
    world = seed_world(db)
    manager = f.user(db, role=Role.SALES_MANAGER, name="Sam Manager")
    rep = f.user(db, role=Role.SALES_REP, name="Alex Rep")
    marketer = f.user(db, role=Role.MARKETER, name="Morgan Marketer")
    world["deals"][0].owner_id = rep.id
    db.flush()
    assert login(client, manager.email).status_code == 303
    token = client.cookies.get(CSRF_COOKIE)
    for owner, metric, target in (
        ("team:sales", "bookings", "100000"),
        (f"user:{rep.id}", "bookings", "40000"),
        ("team:marketing", "mqls", "8"),
    ):
        response = client.post(
            "/goals",
            data={
                "csrf_token": token,
                "owner": owner,
                "metric": metric,
                "period": "2026-11",
                "target": target,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:400]
    data = client.get("/api/v1/goals?period=2026-11").json()
    team = {g["metric"]: g["pace"] for g in data["team_goals"]}
    assert team["bookings"]["actual"] == 55000 and team["bookings"]["attainment"] == 0.55
    assert team["mqls"]["actual"] == 4
    quota = data["quotas"][0]
    assert (
        quota["user_name"] == "Alex Rep"
        and quota["pace"]["actual"] == 50000
        and quota["pace"]["status"] == "met"
    )
    client.cookies.clear()
    assert login(client, marketer.email).status_code == 303
    html = client.get("/goals?period=2026-11").text
    assert "Alex Rep" in html and "Marketing" in html and "Set a goal" not in html
    token = client.cookies.get(CSRF_COOKIE)
    denied = client.post(
        "/goals",
        data={
            "csrf_token": token,
            "owner": "team:sales",
            "metric": "bookings",
            "period": "2026-11",
            "target": "1",
        },
    )
    assert denied.status_code == 403


def test_bad_goal_form_says_why_and_zero_target_has_no_attainment(client, db):
    admin = f.user(db, role=Role.ADMIN)
    assert login(client, admin.email).status_code == 303
    token = client.cookies.get(CSRF_COOKIE)
    bad = client.post(
        "/goals",
        data={
            "csrf_token": token,
            "owner": "team:sales",
            "metric": "bookings",
            "period": "next quarter",
            "target": "5",
        },
    )
    assert bad.status_code == 422 and "is not a period" in bad.text
    client.post(
        "/goals",
        data={
            "csrf_token": token,
            "owner": "team:shared",
            "metric": "revenue",
            "period": "2026-11",
            "target": "0",
        },
    )
    goal = client.get("/api/v1/goals?period=2026-11").json()["team_goals"][0]
    assert goal["pace"]["attainment"] is None and goal["pace"]["status"] == "no_target"


def test_cli_sets_and_lists_goals(tmp_path, monkeypatch):
    from sqlalchemy.orm import Session

    from tandem.db import make_engine
    from tandem.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(make_engine(url))
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "var"))
    with Session(make_engine(url)) as db:
        f.user(db, email="rep@example.com", name="Rita Rep")
        db.commit()
    runner = CliRunner()
    ok = runner.invoke(
        cli,
        [
            "goals",
            "set",
            "--team",
            "marketing",
            "--metric",
            "mqls",
            "--period",
            "2026-Q4",
            "--target",
            "1200",
        ],
    )
    assert ok.exit_code == 0, ok.output
    quota = runner.invoke(
        cli,
        [
            "goals",
            "set",
            "--user",
            "rep@example.com",
            "--metric",
            "bookings",
            "--period",
            "2026-Q4",
            "--target",
            "250000",
        ],
    )
    assert quota.exit_code == 0, quota.output
    listed = runner.invoke(cli, ["goals", "list", "--period", "2026-Q4"])
    assert "Rita Rep" in listed.output and "marketing" in listed.output and "1,200" in listed.output
    bad = runner.invoke(
        cli,
        [
            "goals",
            "set",
            "--user",
            "nobody@example.com",
            "--metric",
            "bookings",
            "--period",
            "2026-Q4",
            "--target",
            "1",
        ],
    )
    assert bad.exit_code == 1 and "no user with email" in bad.output
