"""Work bounded by every parameter that scales it (issue 21: the backtest took any range and
step, from the year 1500 by one-day steps: 4.2 GB). The limits are in docs/security.md."""

from datetime import date, timedelta

import pytest

from tandem.audit import web as audit_web
from tandem.audit.models import AuditEvent
from tandem.auth.roles import Role
from tandem.scoring.backtest_page import MAX_MOMENTS, MAX_PERIOD_DAYS
from tandem.web.paging import MAX_PAGE
from tests import factories as f
from tests.auth.people import sign_in


@pytest.fixture
def admin(client, db):
    return sign_in(client, db, f.user(db, Role.ADMIN))


@pytest.mark.parametrize("path", ["/api/v1/scoring/backtest", "/scoring/backtest"])
def test_the_backtest_refuses_a_period_over_the_limit_naming_it(admin, path):
    answer = admin.get(path, params={"start": "1500-01-01", "step_days": 1})
    assert answer.status_code == 422
    assert "start: the period is" in answer.text and f"{MAX_PERIOD_DAYS:,}" in answer.text


def test_the_backtest_refuses_too_many_moments_naming_the_step(admin):
    start = date.today() - timedelta(days=MAX_MOMENTS + 200)
    answer = admin.get(
        "/api/v1/scoring/backtest", params={"start": start.isoformat(), "step_days": 1}
    )
    assert answer.status_code == 422 and answer.json()["detail"].startswith("step_days:")


@pytest.mark.parametrize(("name", "value"), [("capacity", "inf"), ("reps", 10**9)])
def test_the_backtests_capacity_and_reps_are_bounded(admin, name, value):
    answer = admin.get("/api/v1/scoring/backtest", params={name: value})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == name


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/contacts?page={MAX_PAGE + 1}",
        "/api/v1/contacts?page_size=501",
        f"/contacts?page={10**30}",
        f"/api/v1/audit?page={10**30}",
        f"/audit?page={MAX_PAGE + 1}",
    ],
)
def test_page_numbers_and_sizes_are_bounded(admin, url):
    assert admin.get(url).status_code == 422


def test_a_dashboard_refuses_a_range_over_the_limit(admin):
    answer = admin.get("/api/v1/analytics/handoff", params={"start": "1500-01-01"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["filters"]["start"] != "1500-01-01"
    assert any(i["message"].startswith("start: the range is") for i in body["filters"]["issues"])


def test_an_audit_export_over_the_limit_is_refused_before_streaming(admin, db, monkeypatch):
    monkeypatch.setattr(audit_web, "MAX_EXPORT_ROWS", 10)
    for n in range(11):
        db.add(AuditEvent(action="bound.test", entity_type="test", entity_id=str(n)))
    db.flush()
    over = admin.get("/api/v1/audit/export.csv?action=bound.test")
    assert over.status_code == 422 and "11 events, over the limit of 10" in over.text
    under = admin.get("/api/v1/audit/export.csv?action=bound.test&entity_type=test&end=2000-01-01")
    assert under.status_code == 200


def _unbounded(schema, where, components, seen, out):
    """Numeric fields of `schema` (followed through $refs) without a maximum, into `out`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _unbounded(components[name], name, components, seen, out)
        return
    kinds = schema.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    if kinds & {"integer", "number"} and "maximum" not in schema:
        out.append(where)
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            _unbounded(part, where, components, seen, out)
    for name, part in schema.get("properties", {}).items():
        _unbounded(part, f"{where}.{name}", components, seen, out)
    if isinstance(schema.get("items"), dict):
        _unbounded(schema["items"], f"{where}[]", components, seen, out)


def test_every_number_a_route_takes_has_a_declared_maximum(app):
    """By construction: every numeric query, path and body field of every route (pages
    included) declares its range, so a new one without a bound fails here."""
    spec = app.openapi()
    components = spec.get("components", {}).get("schemas", {})
    out: list[str] = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                where = f"{label} {parameter['name']}"
                _unbounded(parameter.get("schema", {}), where, components, set(), out)
            for content in operation.get("requestBody", {}).get("content", {}).values():
                _unbounded(content.get("schema", {}), f"{label} body", components, set(), out)
    assert out == []
