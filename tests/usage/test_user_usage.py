"""Per-user usage in through the `user_usage` import: quarantine with row, field and reason,
idempotent (the same file twice stores each fact once), the account inferred, seats noted."""

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tandem.accounts.models import Account
from tandem.ingest import jobs
from tandem.usage.models import UserUsageFact
from tests import factories as f

from .conftest import count, run_import

__all__ = ["count", "run_import"]

HEADER = "contact_email,contact_id,account_domain,metric,value,period_start,period\n"


def _errors(db, job):
    found = jobs.list_errors(jobs.nested(db.connection()), job["id"])
    return [(e["line"], e["field"], e["reason"]) for e in found]


def _people(db):
    acme = f.account(db, name="Acme", domain="acme.com")
    beta = f.account(db, name="Beta", domain="beta.com")
    ann = f.contact(db, email="ann@acme.com", account_id=acme.id)
    bob = f.contact(db, email="bob@acme.com", account_id=acme.id)
    lone = f.contact(db, email="lone@gmail.com")
    return acme, beta, ann, bob, lone


def test_user_usage_quarantines_unknown_users_accounts_and_negative_counts(db, run_import, count):
    acme, beta, ann, bob, lone = _people(db)
    text = HEADER + (
        "ann@acme.com,,,logins,3,2026-06-01,day\n"  # 2: the contact's account
        f",{bob.id},acme.com,logins,2,2026-06-01,day\n"  # 3: by Tandem's id, account given
        "nobody@acme.com,,,logins,1,2026-06-01,day\n"  # 4: unknown user
        "ann@acme.com,,nowhere.com,logins,1,2026-06-02,day\n"  # 5: unknown account
        "ann@acme.com,,beta.com,logins,1,2026-06-03,day\n"  # 6: another account than hers
        "lone@gmail.com,,,logins,1,2026-06-01,day\n"  # 7: no account at all
        "lone@gmail.com,,beta.com,logins,4,2026-06-04,day\n"  # 8: account given: stored
        "bob@acme.com,,,logins,-2,2026-06-02,day\n"  # 9: negative count
    )
    job = run_import("user_usage", text)
    assert (job["rows_new"], job["rows_quarantined"]) == (3, 5)
    assert _errors(db, job) == [
        (4, "contact_email", "no contact matches (import the contacts first)"),
        (5, "account", "no account matches (import the accounts first)"),
        (6, "account", f"the contact belongs to account #{acme.id}, not #{beta.id}"),
        (7, "account", "the contact belongs to no account: give account_external_id, "
                       "account_domain or account_name"),
        (9, "value", "must not be negative"),
    ]  # fmt: skip
    stored = db.execute(
        select(UserUsageFact.contact_id, UserUsageFact.account_id, UserUsageFact.value)
        .order_by(UserUsageFact.contact_id)
    ).all()  # fmt: skip
    assert stored == [(ann.id, acme.id, 3.0), (bob.id, acme.id, 2.0), (lone.id, beta.id, 4.0)]


def test_users_above_the_seats_are_stored_and_flagged(db, run_import, count):
    acme, _, ann, bob, _ = _people(db)
    run_import(
        "entitlements",
        "account_domain,metric,unit,allowance,plan,valid_from\n"
        "acme.com,active_users,seats,1,trial,2026-01-01\n",
    )
    job = run_import("user_usage", HEADER + (
        "ann@acme.com,,,logins,3,2026-06-01,day\n"
        "bob@acme.com,,,logins,1,2026-06-01,day\n"
        "bob@acme.com,,,logins,1,2026-06-02,day\n"
    ))  # fmt: skip
    assert (job["rows_new"], job["rows_quarantined"]) == (3, 0)
    over = [n for n in job["notes"] if "seats" in n["note"]]
    assert [(n["line"], n["rows"]) for n in over] == [(2, 2)]  # June 1st: two users, one seat


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(values=st.lists(st.integers(0, 10**6), min_size=1, max_size=12), repeat=st.integers(1, 3))
def test_the_same_file_imported_again_stores_each_fact_once(db, run_import, count, values, repeat):
    acme = db.scalar(select(Account).where(Account.domain == "hyp.com")) or f.account(
        db, name="Hyp", domain="hyp.com"
    )
    user = f.contact(db, account_id=acme.id)
    rows = [f"{user.email},,,logins,{v},{date(2026, 1, 1 + k)},day" for k, v in enumerate(values)]
    text = HEADER + "\n".join(rows) + "\n"
    first = run_import("user_usage", text)
    for _ in range(repeat):
        again = run_import("user_usage", text)
        assert (again["rows_new"], again["rows_unchanged"]) == (0, len(values))
    assert first["rows_new"] == len(values)
    assert count(UserUsageFact, UserUsageFact.contact_id == user.id) == len(values)
    total = db.scalar(
        select(func.sum(UserUsageFact.value)).where(UserUsageFact.contact_id == user.id)
    )
    assert total == sum(values)
