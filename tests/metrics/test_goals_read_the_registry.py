"""Goals, quotas and the handoff's MQL commitment read the registry and the goals as set."""

from tandem.goals import service as goals
from tandem.goals.schemas import GoalIn
from tests.analytics.conftest import seed_world


def _figures(client, page, query):
    data = client.get(f"/api/v1/analytics/{page}?{query}").json()
    return data, {f["metric"]: f for f in data["figures"]}


def test_a_quarter_goal_is_the_monthly_commitment(as_cro, db):
    seed_world(db)
    goals.set_goal(
        db_session=db, goal_in=GoalIn(team="marketing", metric="mqls", period="2026-Q4", target=300)
    )
    data, _ = _figures(as_cro, "handoff", "start=2026-09-01&end=2026-12-01")
    commitments = {m["month"]: m["commitment"] for m in data["mql_monthly"]}
    assert commitments == {"2026-09": None, "2026-10": 100.0, "2026-11": 100.0}
    assert not any("No MQL goal" in n["message"] for n in data["notices"])


def test_goal_actuals_and_quotas_equal_the_registry(as_cro, db):
    world = seed_world(db)
    rep_deal = world["deals"][0]  # ACME's 50,000 won in 2026-W47
    from tandem.auth.roles import Role
    from tests import factories as f

    rep = f.user(db, role=Role.SALES_REP, name="Quota Rep")
    rep_deal.owner_id = rep.id
    db.flush()
    goals.set_goal(
        db_session=db,
        goal_in=GoalIn(team="sales", metric="revenue", period="2026-Q4", target=100000),
    )
    goals.set_goal(
        db_session=db,
        goal_in=GoalIn(user_id=rep.id, metric="revenue", period="2026-Q4", target=60000),
    )
    page = as_cro.get("/api/v1/goals?period=2026-Q4").json()
    team = next(g for g in page["team_goals"] if g["metric"] == "revenue")
    quota = next(g for g in page["quotas"] if g["user_id"] == rep.id)
    window = [("from", "2026-10-01"), ("to", "2026-12-31")]
    total = as_cro.get("/api/v1/metrics/revenue_won", params=window).json()
    mine = as_cro.get(
        "/api/v1/metrics/revenue_won", params=[*window, ("filter", f"owner={rep.id}")]
    ).json()
    assert team["pace"]["actual"] == total["value"] == 55000
    assert quota["pace"]["actual"] == mine["value"] == 50000
