"""The import helpers of the ingest tests, and two customers with usage, entitlements and
subscriptions imported the real way."""

from datetime import date

import pytest

from tests import factories as f
from tests.ingest.conftest import count, run_import

__all__ = ["count", "run_import"]

ENTITLEMENTS = (
    "account_domain,metric,unit,allowance,plan,contract_value,renewal_on,valid_from\n"
    "acme.com,active_users,seats,10,pro,12000,2026-12-31,2026-01-01\n"
    "acme.com,api_calls,,5000,pro,,2026-12-31,2026-01-01\n"
    "nobody.com,active_users,seats,10,pro,1,2026-12-31,2026-01-01\n"
    "beta.com,active_users,seats,-4,pro,1,2026-12-31,2026-01-01\n"
)
SUBSCRIPTIONS = (
    "account_domain,kind,occurred_at,mrr_before,mrr_after\n"
    "acme.com,start,2026-01-01T00:00:00Z,0,1000\n"
    "acme.com,upgrade,2026-04-01T00:00:00Z,1000,1500\n"
    "beta.com,start,2026-01-01T00:00:00Z,0,800\n"
    "beta.com,churn,2026-05-15T00:00:00Z,800,0\n"
    "beta.com,pause,2026-05-20T00:00:00Z,0,0\n"
)


def usage_csv(domain: str, values: list[float], metric: str = "active_users") -> str:
    days = [date(2026, 5, 4 + 7 * k) if 4 + 7 * k <= 31 else date(2026, 6, 7 * k - 27)
            for k in range(len(values))]  # fmt: skip
    rows = [f"{domain},{metric},{v},{d},week" for d, v in zip(days, values, strict=True)]
    return "account_domain,metric,value,period_start,period\n" + "\n".join(rows) + "\n"


@pytest.fixture
def customers(db):
    acme = f.account(db, name="Acme", domain="acme.com", employees=30)
    beta = f.account(db, name="Beta", domain="beta.com", employees=3000)
    return acme, beta


def with_usage(run_import):
    run_import("entitlements", ENTITLEMENTS)
    run_import("subscriptions", SUBSCRIPTIONS)
    run_import("usage", usage_csv("acme.com", [8, 8, 8, 8, 9, 10, 11, 12]))
    run_import("usage", usage_csv("acme.com", [3] * 8, "reports_run"))
