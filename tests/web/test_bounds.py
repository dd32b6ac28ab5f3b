"""Numbers in forms and bodies are bounded (tandem.bounds), and the pages survive whatever value
is already stored (issue 21: one imported won deal of 1e308 made the home page, the scorecard and
attribution answer 500 and crashed `tandem attribution run`)."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text

from tandem import attribution as attribution_package
from tandem.attribution import default_config
from tandem.attribution.config import AttributionConfigError, parse_config
from tandem.attribution.models import AttributedOpportunity
from tandem.attribution.store import run_full
from tandem.auth.roles import Role
from tandem.bounds import COUNT_MAX, MONEY_MAX
from tandem.db import utcnow
from tandem.handoff.schemas import RepSettingsIn
from tandem.scoring.loader import parse_model
from tandem.web.csrf import CSRF_COOKIE
from tests import factories as f
from tests.auth.people import sign_in


def _csrf(client) -> str:
    client.get("/login")
    return client.cookies.get(CSRF_COOKIE)


@pytest.mark.parametrize("target", [1e308, float(MONEY_MAX) * 10])
def test_goal_targets_are_bounded_naming_the_field(client, db, target):
    sign_in(client, db, f.user(db, Role.ADMIN))
    token = _csrf(client)
    goal = {"team": "sales", "metric": "bookings", "period": "2026-Q4", "target": target}
    api = client.post("/api/v1/goals", json=goal, headers={"X-CSRF-Token": token})
    assert api.status_code == 422 and api.json()["detail"][0]["loc"][-1] == "target"
    page = client.post(
        "/goals",
        data={
            "csrf_token": token,
            "owner": "team:sales",
            "metric": "bookings",
            "period": "2026-Q4",
            "target": str(target),
        },
    )
    assert page.status_code == 422 and "target: " in page.text
    page = client.post(
        "/goals",
        data={**dict(owner="team:sales", metric="bookings", period="2026-Q4"), "target": "inf"}
        | {"csrf_token": token},
    )
    assert page.status_code == 422 and "target: " in page.text


def test_a_reps_capacity_override_is_bounded():
    with pytest.raises(ValidationError) as info:
        RepSettingsIn(capacity=10**12)
    assert info.value.errors()[0]["loc"] == ("capacity",)
    assert RepSettingsIn(capacity=COUNT_MAX).capacity == COUNT_MAX


# --- what is already stored -------------------------------------------------------------------


def _huge(db) -> Decimal:
    """The largest amount the backend stores: SQLite keeps any float, PostgreSQL numeric(18,2)."""
    return Decimal("1e308") if db.bind.dialect.name == "sqlite" else Decimal("9999999999999999.99")


@pytest.fixture
def huge_deals(db):
    """Two won deals and an open one of absurd amounts, closed this week (1e308 + 1e308 is
    infinity in SQLite's sum)."""
    closed = utcnow() - timedelta(hours=1)
    acct = f.account(db)
    person = f.contact(db, account_id=acct.id)
    f.activity(db, person, at=closed - timedelta(days=3))
    deals = [
        f.opportunity(
            db,
            acct,
            stage="closed_won" if won is not None else "discovery",
            is_closed=won is not None,
            is_won=bool(won),
            closed_at=closed if won is not None else None,
            created_at=closed - timedelta(days=20),
            primary_contact_id=person.id,
            contacts=[(person, "decision_maker")],
        )
        for won in (True, True, None)
    ]
    # Written around the checks, as an old import or another tool could have.
    huge = float(_huge(db)) if db.bind.dialect.name == "sqlite" else _huge(db)
    for deal in deals:
        db.execute(
            text("UPDATE opportunities SET amount = :a WHERE id = :i"), {"a": huge, "i": deal.id}
        )
    db.flush()
    return deals


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/api/v1/scorecard",
        "/attribution",
        "/api/v1/attribution",
        "/analytics/funnel",
        "/analytics/pipeline",
        "/reports/weekly",
    ],
)
def test_pages_survive_huge_stored_amounts(client, db, huge_deals, url):
    sign_in(client, db, f.user(db, Role.ADMIN))
    answer = client.get(url)
    assert answer.status_code == 200, answer.text[:2000]


def test_the_scorecard_reads_each_amount_clamped_to_the_range(client, db, huge_deals):
    sign_in(client, db, f.user(db, Role.ADMIN))
    card = client.get("/api/v1/scorecard").json()
    assert Decimal(card["won_revenue_90d"]) == 2 * MONEY_MAX
    assert Decimal(card["open_pipeline"]) == MONEY_MAX


def test_attribution_run_credits_a_huge_deal_at_the_range_limit(db, huge_deals):
    summary = run_full(db_session=db, config=default_config(), now=utcnow())
    assert summary.opportunities == 2
    stored = db.scalars(
        select(AttributedOpportunity.amount_cents).where(
            AttributedOpportunity.run_id == summary.run_id
        )
    ).all()
    assert sorted(stored) == [int(MONEY_MAX * 100)] * 2


# --- numbers in configuration YAML -------------------------------------------------------------

DEFAULT_ATTRIBUTION = Path(attribution_package.__file__).parent / "default.yaml"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("lookback_days: ", "lookback_days: 99999999999 #", "lookback_days"),
        ("samples: ", "samples: 1000000000000 #", "samples"),
        ("half_life_days: ", "half_life_days: 1.0e+300 #", "half_life_days"),
    ],
)
def test_attribution_settings_are_bounded_naming_the_field(old, new, field):
    text = DEFAULT_ATTRIBUTION.read_text()
    assert old in text
    with pytest.raises(AttributionConfigError) as info:
        parse_config(text.replace(old, new, 1), source="a.yaml")
    assert field in str(info.value)


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ("{id: big, field: account.employees, op: range, min: .inf, points: 5}", "min"),
        ("{id: big, field: account.employees, op: range, max: .nan, points: 5}", "max"),
    ],
)
def test_scoring_ranges_refuse_infinity_and_nan(rule, field):
    text = f"name: m\nversion: 1\nfit_rules:\n  - {rule}\n"
    model, issues = parse_model(text, filename="m.yaml")
    assert model is None and any(field in i.format() for i in issues if i.level == "error")


def test_a_scoring_version_number_is_bounded():
    model, issues = parse_model("name: m\nversion: 99999999999\n", filename="m.yaml")
    assert model is None and any("version" in i.format() for i in issues)
