"""Numbers that come in: every number the system takes has a declared range (tandem.bounds),
refused with the field named (issue 21: the event API stored out-of-range budgets and revenues;
an employee count of 99999999999999999999 failed a whole import)."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from tandem.accounts.models import Account
from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.bounds import COUNT_MAX, MONEY_MAX
from tandem.contacts.models import Contact
from tandem.ingest import jobs
from tandem.opportunities.models import Opportunity
from tests import factories as f

# --- what comes in ----------------------------------------------------------------------------


def test_an_import_quarantines_out_of_range_numbers_naming_the_field(db, run_import, count):
    rows = [f"a{n}.example,Acme {n},{n * 10}" for n in range(1, 40)]
    rows[4] = "a5.example,Acme 5,99999999999999999999"  # line 6
    rows[6] = "a7.example,Acme 7,1e308"  # line 8
    job = run_import("accounts", "domain,name,employees\n" + "\n".join(rows) + "\n")
    assert (job["status"], job["rows_new"], job["rows_quarantined"]) == ("done", 37, 2)
    errors = jobs.list_errors(jobs.nested(db.connection()), job["id"])
    assert [(e["line"], e["field"]) for e in errors] == [(6, "employees"), (8, "employees")]
    assert all("out of range" in e["reason"] for e in errors)
    assert db.scalar(select(Account.employees).where(Account.domain == "a9.example")) == 90


def test_an_import_quarantines_a_huge_amount(db, run_import):
    f.account(db, domain="acme.example")
    body = (
        "external_id,name,account_domain,stage,amount\n"
        "d1,Big,acme.example,closed_won,1e308\n"
        "d2,Fine,acme.example,closed_won,12500\n"
        f"d3,Edge,acme.example,closed_won,{MONEY_MAX}\n"
        f"d4,Over,acme.example,closed_won,{MONEY_MAX + Decimal('0.01')}\n"
    )
    job = run_import("opportunities", body)
    errors = jobs.list_errors(jobs.nested(db.connection()), job["id"])
    assert [(e["line"], e["field"]) for e in errors] == [(2, "amount"), (5, "amount")]
    assert job["rows_new"] == 2
    assert db.scalar(select(Opportunity.amount).where(Opportunity.external_id == "d3")) == MONEY_MAX


@pytest.fixture
def token(db):
    user = f.user(db, role=Role.MARKETER)
    _, plain = auth.create_api_token(db_session=db, user=user, name="bounds")
    db.flush()
    return {"Authorization": f"Bearer {plain}"}


@pytest.mark.parametrize(
    ("kind", "item", "field"),
    [
        (
            "accounts",
            {"name": "A", "domain": "a.example", "annual_revenue": 1e308},
            "annual_revenue",
        ),
        ("accounts", {"name": "A", "domain": "a.example", "employees": 10**20}, "employees"),
        ("accounts", {"name": "A", "domain": "a.example", "employees": COUNT_MAX + 1}, "employees"),
        ("contacts", {"email": "b@a.example", "budget": "1e308"}, "budget"),
        ("contacts", {"email": "b@a.example", "budget": -5}, "budget"),
    ],
)
def test_the_event_api_refuses_out_of_range_numbers_naming_the_field(
    client, db, token, kind, item, field
):
    answer = client.post(f"/api/v1/{kind}", json=[item], headers=token)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["new"], body["rejected"]) == (0, 1)
    assert [e["field"] for e in body["items"][0]["errors"]] == [field]
    assert db.scalar(select(Account.id).where(Account.domain == "a.example")) is None
    assert db.scalar(select(Contact.id).where(Contact.email == "b@a.example")) is None


def test_the_event_api_stores_numbers_at_the_edge_of_the_range(client, db, token):
    item = {"name": "A", "domain": "a.example", "annual_revenue": str(MONEY_MAX)}
    assert client.post("/api/v1/accounts", json=[item], headers=token).json()["new"] == 1
    stored = db.scalar(select(Account.annual_revenue).where(Account.domain == "a.example"))
    assert stored == MONEY_MAX


def test_the_issues_file_line_5502_is_quarantined_and_the_rest_goes_in(db, run_import, count):
    """The probe: 6,500 accounts, an employee count of 99999999999999999999 on line 5502."""
    rows = [f"a{n}.example,Acme {n},{n}" for n in range(1, 6501)]
    rows[5500] = "a5501.example,Acme 5501,99999999999999999999"  # line 5502 (header is 1)
    job = run_import("accounts", "domain,name,employees\n" + "\n".join(rows) + "\n")
    assert (job["status"], job["rows_new"], job["rows_quarantined"]) == ("done", 6499, 1)
    errors = jobs.list_errors(jobs.nested(db.connection()), job["id"])
    assert [(e["line"], e["field"]) for e in errors] == [(5502, "employees")]
    assert count(Account) == 6499
