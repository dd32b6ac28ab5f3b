"""Revenue retention, logo churn and the customer counts in the metric registry: equal to the
cohort arithmetic of `tandem.usage.retention` (an independent Polars computation) on generated
histories, and the store's renewals and health recounted."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.analytics.snapshot import load_facts
from tandem.db import utcnow
from tandem.metrics import service
from tandem.metrics.engine import engine_for
from tandem.usage.models import Entitlement, HealthScore
from tandem.usage.retention import retention
from tests import factories as f
from tests.analytics.frames_support import facts as build

START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
AS_OF = datetime(2026, 9, 1, tzinfo=UTC)
EVENTS = {"account_id": pl.Int64, "owner_id": pl.Int64, "kind": pl.String,
          "occurred_at": pl.Datetime("us", "UTC"), "mrr_before": pl.Float64,
          "mrr_after": pl.Float64, "segment": pl.String, "region": pl.String,
          "vertical": pl.String}  # fmt: skip


def _facts(rows: list[tuple]) -> object:
    base = build([{"contact_id": 1}], [(1, None, "lead", START)], loaded_at=AS_OF)
    return replace(base, extra={"subscriptions": pl.DataFrame(rows, schema=EVENTS, orient="row")})


histories = st.lists(
    st.tuples(
        st.integers(1, 8),  # account
        st.sampled_from(["start", "upgrade", "downgrade", "renewal", "churn"]),
        st.integers(-200, 400),  # day from START (before, inside and after the window)
        st.integers(0, 900),  # MRR after
    ),
    max_size=40,
)


def _rows(changes) -> list[tuple]:
    rows, last = [], {}
    for i, (account, kind, day, mrr) in enumerate(changes):
        after = 0.0 if kind == "churn" else float(mrr)
        at = START + timedelta(days=day, seconds=i)  # distinct moments
        rows.append((account, account % 3 or None, kind, at, last.get(account, 0.0), after,
                     ["smb", "mid_market"][account % 2], "emea", "software"))  # fmt: skip
        last[account] = after
    return rows


@settings(max_examples=80, deadline=None)
@given(histories, st.sampled_from([{}, {"segment": "smb"}]))
def test_registry_retention_equals_the_cohort_arithmetic(changes, filters):
    rows = _rows(changes)
    facts = _facts(rows)
    window = service.window(START.date(), END.date() - timedelta(days=1), AS_OF)
    names = ["gross_revenue_retention", "net_revenue_retention", "logo_churn",
             "customers_at_start"]  # fmt: skip
    got = service.figures(engine_for(facts), names, window, filters, strict=False)
    events = pl.DataFrame(rows, schema=EVENTS, orient="row")
    if filters:
        events = events.filter(pl.col("segment") == filters["segment"])
    want = retention(events, START, END)

    def close(a, b):
        return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9)

    assert got["customers_at_start"].value == want.accounts
    assert close(got["gross_revenue_retention"].value, want.gross_revenue_retention)
    assert close(got["net_revenue_retention"].value, want.net_revenue_retention)
    assert close(got["logo_churn"].value, want.logo_churn)
    if want.accounts:
        assert abs(got["net_revenue_retention"].denominator - want.start_mrr) < 1e-6


def test_retention_records_are_the_cohort():
    day = timedelta(days=1)
    rows = _rows([(1, "start", -30, 100), (2, "start", -20, 200), (1, "churn", 10, 0),
                  (3, "start", 10, 500)])  # fmt: skip
    window = service.window(START.date(), END.date() - day, AS_OF)
    found = service.records(engine_for(_facts(rows)), "logo_churn", window)
    assert found.total == 2
    by_id = {r[0]: r for r in found.rows}
    assert sorted(by_id) == [1, 2]  # account 3 started inside the window: new, not cohort
    assert by_id[1][1:3] == (100.0, 0.0) and by_id[1][-1] == 1  # start, end MRR; churned
    assert by_id[2][1:3] == (200.0, 200.0) and by_id[2][-1] == 0


def test_renewals_and_health_recounted_from_the_store(db):
    now = utcnow()
    today = now.date()
    accounts = [f.account(db, employees=20 + 400 * i) for i in range(5)]
    renew = [today, today + timedelta(days=45), today + timedelta(days=89),
             today + timedelta(days=120), today - timedelta(days=1)]  # fmt: skip
    for acct, on in zip(accounts, renew, strict=True):
        for metric in ("active_users", "api_calls"):  # two rows, one renewal date
            db.add(Entitlement(account_id=acct.id, metric=metric, unit="seats", allowance=10,
                               renewal_on=on, valid_from=date(2025, 1, 1)))  # fmt: skip
    bands = ["healthy", "at_risk", "at_risk", "neutral", "healthy"]
    for i, (acct, band) in enumerate(zip(accounts, bands, strict=True)):
        db.add(
            HealthScore(
                account_id=acct.id,
                scored_on=today - timedelta(days=3),
                model_version=1,
                scorecard="default",
                score=10.0,
                band="old",
                parts=[],
            )
        )
        db.add(HealthScore(account_id=acct.id, scored_on=today, model_version=1,
                           scorecard="default", score=20.0 * i, band=band, parts=[]))  # fmt: skip
    db.flush()
    facts = load_facts(db_session=db, loaded_at=now)
    window = service.window(today - timedelta(days=30), today, now)
    got = service.figures(
        engine_for(facts),
        ["renewals_due", "accounts_at_risk", "accounts_healthy", "accounts_neutral",
         "customer_health"],
        window,
    )  # fmt: skip
    # Today, +45 and +89 days are due; +120 is too far, yesterday has passed.
    assert got["renewals_due"].value == 3
    assert (got["accounts_at_risk"].value, got["accounts_healthy"].value) == (2, 2)
    assert got["accounts_neutral"].value == 1
    assert got["customer_health"].value == (0 + 20 + 40 + 60 + 80) / 5
