"""CSV imports into the database: incremental, quarantine, retry, matching, bad input."""

import csv

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tandem.accounts.models import Account
from tandem.activities.models import Activity
from tandem.contacts.models import Contact
from tandem.ingest import jobs
from tandem.lifecycle.models import StageTransition
from tests import factories as f

HUBSPOT = (
    "Record ID,First Name,Email,Lifecycle Stage,Original Source,Create Date,Associated Company\n"
    "1,Ana,ana@acme.com,Lead,Organic Search,2024-01-02 10:00,Acme\n"
    "2,Bo,bo@acme.com,Marketing Qualified Lead,Paid Search,2024-01-03 11:00,Acme\n"
    "3,Cy,cy@gmail.com,Subscriber,Direct Traffic,2024-01-04 12:00,\n"
)


def test_same_file_twice_changes_nothing(run_import, count):
    first = run_import("contacts", HUBSPOT, "hubspot")
    assert (first["status"], first["rows_new"], first["rows_quarantined"]) == ("done", 3, 0)
    snapshot = (count(Contact), count(Account), count(StageTransition))
    again = run_import("contacts", HUBSPOT, "hubspot")
    assert (again["rows_new"], again["rows_updated"], again["rows_unchanged"]) == (0, 0, 3)
    assert (count(Contact), count(Account), count(StageTransition)) == snapshot == (3, 1, 3)


def test_updated_export_updates_changed_rows_and_keeps_history(db, run_import):
    run_import("contacts", HUBSPOT, "hubspot")
    newer = HUBSPOT.replace("1,Ana,ana@acme.com,Lead", "1,Ana,ana@acme.com,Sales Qualified Lead")
    job = run_import("contacts", newer, "hubspot")
    assert (job["rows_new"], job["rows_updated"], job["rows_unchanged"]) == (0, 1, 2)
    ana = db.scalar(select(Contact).where(Contact.email == "ana@acme.com"))
    moves = db.execute(
        select(StageTransition.from_stage, StageTransition.to_stage, StageTransition.actor)
        .where(StageTransition.contact_id == ana.id)
        .order_by(StageTransition.id)
    ).all()
    assert moves == [(None, "lead", "import:hubspot"), ("lead", "sql", "import:hubspot")]
    older = HUBSPOT  # an older export must not move Ana back
    job = run_import("contacts", older, "hubspot")
    assert job["rows_updated"] == 0 and db.get(Contact, ana.id).lifecycle_stage == "sql"


def test_contacts_link_to_accounts_by_domain_never_free_mail(db, run_import):
    acme = f.account(db, name="Acme Corp", domain="acme.com")
    job = run_import("contacts", "email\nana@eu.acme.com\ncy@gmail.com\n")
    assert job["rows_new"] == 2
    rows = dict(db.execute(select(Contact.email, Contact.account_id)).all())
    assert rows == {"ana@eu.acme.com": acme.id, "cy@gmail.com": None}


def test_bad_rows_are_quarantined_not_fatal(db, run_import, count):
    text = (
        "email,created_at,budget\n"
        "ok@x.io,2024-01-01,100\n"
        "not-an-email,2024-01-01,100\n"
        "late@x.io,someday,100\n"
        "neg@x.io,2024-01-01,-3\n"
        "ok@x.io,2024-01-02,200\n"
        "short@x.io\n"
        'fine@x.io,02/01/2024,"1,500.00"\n'
    )
    job = run_import("contacts", text)
    assert (job["status"], job["rows_total"], job["rows_new"], job["rows_quarantined"]) == (
        "done",
        7,
        2,
        5,
    )
    errors = jobs.list_errors(jobs.nested(db.connection()), job["id"])
    assert [(e["line"], e["field"], e["reason"]) for e in errors] == [
        (3, "email", "not a valid email address"),
        (4, "created_at", "not a date/time in a known format"),
        (5, "budget", "must not be negative"),
        (6, "email", "duplicate of line 2 (same email)"),
        (7, None, "has 1 fields, the header has 3"),
    ]
    assert errors[0]["raw"] == ["not-an-email", "2024-01-01", "100"]
    assert count(Contact) == 2


def test_missing_columns_and_non_csv_fail_the_job_with_one_line(run_import, tmp_path):
    job = run_import("contacts", "name,phone\nAna,1\n")
    assert job["status"] == "failed"
    assert job["message"] == "missing required column(s): email (expected a column named 'email')"
    binary = tmp_path / "book.csv"
    binary.write_bytes(b"PK\x03\x04....")
    job = run_import("contacts", binary)
    assert job["status"] == "failed" and "xlsx" in job["message"]


def test_unknown_columns_are_listed_and_ignored(run_import):
    job = run_import("contacts", "email,shoe_size\na@x.io,42\n")
    assert job["rows_new"] == 1
    assert job["notes"][0]["note"] == "unknown column(s) ignored: shoe_size"


def test_errors_export_and_retry_resolve_the_fixed_rows(db, run_import, tmp_path, count):
    job = run_import("contacts", "email,created_at\na@x.io,2024-01-01\nb@@x.io,2024-01-01\n")
    tx = jobs.nested(db.connection())
    header, rows = jobs.export_errors(tx, job["id"])
    assert header == ["email", "created_at", "_tandem_line", "_tandem_reason"]
    assert rows == [["b@@x.io", "2024-01-01", "3", "email: not a valid email address"]]
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, ["b@x.io", "2024-01-01", "3", ""]])
    retried = jobs.retry_job(tx, job["id"], fixed)
    assert (retried["rows_new"], retried["parent_job_id"]) == (1, job["id"])
    assert jobs.list_errors(tx, job["id"])[0]["resolved_by_job_id"] == retried["id"]
    assert count(Contact) == 2


def test_activities_import_creates_contacts_and_is_idempotent(db, run_import, count):
    text = (
        "contact_email,type,occurred_at,channel,campaign,url\n"
        "a@acme.com,web_visit,2024-03-01 10:00,organic_search,Spring,https://t.io/a\n"
        "a@acme.com,content_download,2024-03-02 10:00,email,Spring,https://t.io/b\n"
        "b@acme.com,Web Visit,2024-03-02 11:00,,,\n"
        "a@acme.com,web_visit,2024-03-01 10:00,organic_search,Spring,https://t.io/a\n"
        "c@acme.com,teleportation,2024-03-02 11:00,,,\n"
    )
    job = run_import("activities", text)
    assert (job["rows_new"], job["rows_quarantined"]) == (3, 2)
    assert count(Activity) == 3 and count(Contact) == 2
    again = run_import("activities", text)
    assert (again["rows_new"], again["rows_unchanged"], count(Activity)) == (0, 3, 3)


def test_salesforce_opportunities_close_and_promote_contacts(db, run_import):
    contact = f.contact(db, email="buyer@bigco.com", lifecycle_stage="sql")
    text = (
        "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Close Date,Type,Won\n"
        '006A,BigCo expansion,BigCo,Closed Won,"12,500.00",3/15/2024,Existing Business,1\n'
        "006B,BigCo pilot,BigCo,Prospecting,900,6/30/2024,New Business,0\n"
    )
    job = run_import("opportunities", text, "salesforce")
    assert job["rows_new"] == 2
    from tandem.opportunities.models import Opportunity

    won = db.scalar(select(Opportunity).where(Opportunity.external_id == "006A"))
    assert (won.stage, won.is_won, won.is_closed, str(won.amount)) == (
        "closed_won",
        True,
        True,
        "12500.00",
    )
    assert won.closed_at.date().isoformat() == "2024-03-15" and won.deal_type == "upsell"
    assert contact.lifecycle_stage == "sql"  # no contact on these deals: nothing promoted


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z]{1,8}", fullmatch=True),
            st.sampled_from(["Lead", "Subscriber", "Marketing Qualified Lead", "Customer"]),
            st.integers(0, 10**6),
        ),
        min_size=1,
        max_size=25,
        unique_by=lambda t: t[0],
    )
)
def test_property_import_twice_is_no_change(db, run_import, count, rows):
    savepoint = db.connection().begin_nested()
    try:
        lines = ["Email,Lifecycle Stage,Annual Revenue"] + [
            f"{name}@example.org,{stage},{amount}" for name, stage, amount in rows
        ]
        text = "\n".join(lines) + "\n"
        first = run_import("contacts", text, "hubspot")
        before = (count(Contact), count(StageTransition))
        second = run_import("contacts", text, "hubspot")
        assert first["rows_new"] == len(rows) == second["rows_unchanged"]
        assert second["rows_new"] == second["rows_updated"] == 0
        assert (count(Contact), count(StageTransition)) == before
    finally:
        savepoint.rollback()
