"""Imports never invent: an empty date or amount is stored as null with its reason, counted and
named in the report; a value is derived only by a rule the profile writes, and reported."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.ingest import jobs, report
from tandem.ingest.mapping import MappingError, parse_mapping, profile_mapping
from tandem.opportunities.models import Opportunity
from tests import factories as f
from tests.web.test_pages import login

DEALS = (
    "external_id,name,stage,created_at,amount\n"
    "d1,One,discovery,2024-01-05,100\n"
    "d2,Two,discovery,,250\n"
    "d3,Three,closed_won,,\n"
)


def _deals(db):
    rows = db.scalars(select(Opportunity).order_by(Opportunity.external_id)).all()
    return {o.external_id: o for o in rows}


def test_empty_dates_and_amounts_go_in_as_unknown_with_their_reason(db, run_import):
    job = run_import("opportunities", DEALS)
    assert (job["rows_new"], job["rows_quarantined"]) == (3, 0)
    deals = _deals(db)
    assert deals["d1"].created_at == datetime(2024, 1, 5, tzinfo=UTC)
    assert deals["d1"].amount == Decimal("100") and deals["d1"].unknown == {}
    assert deals["d2"].created_at is None and deals["d2"].amount == Decimal("250")
    assert deals["d2"].unknown == {"created_at": "no creation date in the file"}
    assert (deals["d3"].created_at, deals["d3"].amount) == (None, None)
    assert deals["d3"].unknown == {
        "created_at": "no creation date in the file",
        "amount": "no value in the file",
    }
    lines = report.note_lines(job)
    assert "2 deals have no creation date in the file: left unknown (first at line 3)" in lines
    assert "1 deal has no value in the file: left unknown (first at line 4)" in lines
    assert report.value_counts(job) == {
        "unknown": {"created_at": 2, "amount": 1},
        "derived": {},
    }


def test_an_empty_cell_keeps_the_stored_value_and_a_given_one_clears_the_reason(db, run_import):
    run_import("opportunities", DEALS)
    again = run_import(
        "opportunities",
        "external_id,name,stage,created_at,amount\nd1,One,discovery,,\nd2,Two,discovery,2024-02-01,\n",
    )
    deals = _deals(db)
    # d1 keeps what an earlier file said: nothing about it is unknown.
    assert (deals["d1"].created_at.day, deals["d1"].amount, deals["d1"].unknown) == (
        5,
        Decimal("100"),
        {},
    )
    assert deals["d2"].created_at == datetime(2024, 2, 1, tzinfo=UTC)
    assert deals["d2"].unknown == {}
    assert again["rows_updated"] == 1 and again["rows_unchanged"] == 1
    # Nothing of the second file is unknown once the stored values are kept.
    assert report.value_counts(again)["unknown"] == {}


DERIVE = """
columns:
  Deal: name
  Created: created_at
derive:
  created_at:
    from: First contact
    reason: dated by their first contact
defaults:
  stage: discovery
"""


def test_a_profile_rule_derives_a_date_and_the_report_says_so(db, run_import):
    mapping = parse_mapping(DERIVE, "mapping.yaml", "opportunities")
    text = (
        "Deal,Created,First contact\n"
        "A,2024-03-01,2024-01-01\n"  # the file's own date wins over the rule
        "B,,2024-01-02\n"
        "C,,\n"
    )
    job = run_import("opportunities", text, mapping=mapping)
    created = {o.name: o.created_at for o in db.scalars(select(Opportunity))}
    assert created == {
        "A": datetime(2024, 3, 1, tzinfo=UTC),
        "B": datetime(2024, 1, 2, tzinfo=UTC),
        "C": None,
    }
    lines = report.note_lines(job)
    assert (
        "1 deal dated by their first contact "
        "(profile rule created_at from First contact; first at line 3)"
    ) in lines
    assert "1 deal has no creation date in the file: left unknown (first at line 4)" in lines
    assert not any("unknown column" in line for line in lines)  # the rule's column is used


def test_without_a_rule_nothing_is_derived(db, run_import):
    text = "Deal,First contact\nB,2024-01-02\n"
    mapping = parse_mapping(
        "columns: {Deal: name}\ndefaults: {stage: discovery}\n", "m", "opportunities"
    )
    job = run_import("opportunities", text, mapping=mapping)
    assert db.scalar(select(Opportunity.created_at)) is None
    assert report.value_counts(job)["derived"] == {}


def test_a_rule_whose_column_is_absent_is_noted(run_import):
    mapping = parse_mapping(DERIVE, "mapping.yaml", "opportunities")
    job = run_import("opportunities", "Deal,Created\nA,\n", mapping=mapping)
    assert (
        "note: profile rule(s) not used, the file has no such column: created_at from First contact"
        in report.note_lines(job)
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("derive:\n  closed_on:\n    from: x\n    reason: y\n", 2, "unknown field 'closed_on'"),
        ("derive:\n  created_at:\n    from: x\n", 2, "reason"),  # at the rule missing it
        ("defaults:\n  amount: 1\nderive:\n  amount:\n    from: x\n    reason: y\n", 4, "default"),
        ("derive:\n  created_at:\n    column: x\n    reason: y\n", 3, "column"),
    ],
)
def test_derive_rules_are_checked_with_file_and_line(text, line, message):
    with pytest.raises(MappingError) as raised:
        parse_mapping(text, "mapping.yaml", "opportunities")
    found = [(i.file, i.line) for i in raised.value.issues if message in str(i)]
    assert found == [("mapping.yaml", line)]


def test_the_shipped_profiles_derive_only_what_they_say():
    olist = profile_mapping("olist", "opportunities").derive
    maven = profile_mapping("maven-crm", "opportunities").derive
    assert {n: r.source for n, r in olist.items()} == {"created_at": "first_contact_date"}
    assert {n: r.source for n, r in maven.items()} == {
        "created_at": "engage_date",
        "amount": "list_price",
    }


def test_day_first_dates_are_read_and_bad_ones_name_line_field_and_reason(db, run_import):
    text = (
        "email,created_at,stage_entered_at\n"
        "a@acme.com,15/03/2024,31/12/2023 14:05\n"
        "b@acme.com,03/04/2024,\n"  # ambiguous: month first, as a US export writes it
        "c@acme.com,32/13/2024,\n"
    )
    job = run_import("contacts", text)
    found = {c.email: c for c in db.scalars(select(Contact))}
    assert found["a@acme.com"].created_at == datetime(2024, 3, 15, tzinfo=UTC)
    assert found["a@acme.com"].stage_entered_at == datetime(2023, 12, 31, 14, 5, tzinfo=UTC)
    assert found["b@acme.com"].created_at == datetime(2024, 3, 4, tzinfo=UTC)
    assert job["rows_quarantined"] == 1 and "c@acme.com" not in found
    assert DISAGREE.format(month=3, day=2) in report.note_lines(job)


DISAGREE = (
    "note: slashed dates read month first (line {month}) in a file with a day-first date "
    "(line {day}): if the file writes the day first, import it again with "
    "date_formats: ['%d/%m/%Y'] in the mapping"
)


@pytest.mark.parametrize(
    ("dates", "note"),
    [
        (["03/04/2024", "15/03/2024"], DISAGREE.format(month=2, day=3)),
        (["03/04/2024", "03/15/2024"], None),  # a US file: month first throughout
        (["15/03/2024", "16/03/2024"], None),  # day first throughout, nothing ambiguous
    ],
)
def test_a_file_mixing_day_first_and_month_first_dates_is_reported(run_import, dates, note):
    rows = "".join(f"d{i},Deal {i},discovery,{d}\n" for i, d in enumerate(dates))
    job = run_import("opportunities", "external_id,name,stage,created_at\n" + rows)
    said = [n for n in report.note_lines(job) if "slashed" in n]
    assert said == ([note] if note else [])


def test_bad_dates_are_quarantined_with_line_field_and_reason(db, run_import):
    job = run_import("opportunities", "name,stage,created_at\nA,discovery,32/13/2024\n")
    [error] = jobs.list_errors(jobs.nested(db.connection()), job["id"])
    assert (error["line"], error["field"], error["value"]) == (2, "created_at", "32/13/2024")
    assert error["reason"] == "not a date/time in a known format"
    assert db.scalar(select(Opportunity.id)) is None  # nothing stored, no date made up


def test_the_job_json_and_page_name_the_counts(client, db, run_import):
    job = run_import("opportunities", DEALS)
    admin = f.user(db, role=Role.ADMIN)
    assert login(client, admin.email).status_code == 303
    data = client.get(f"/api/v1/imports/{job['id']}").json()
    assert data["unknown"] == {"created_at": 2, "amount": 1} and data["job"]["rows_new"] == 3
    assert (
        "2 deals have no creation date in the file: left unknown (first at line 3)" in data["notes"]
    )
    page = client.get(f"/ingest/jobs/{job['id']}").text
    assert "2 deals have no creation date in the file: left unknown" in page
    rep = f.user(db, role=Role.SALES_REP)
    login(client, rep.email)
    assert client.get(f"/api/v1/imports/{job['id']}").status_code == 403


def test_the_preview_shows_which_column_a_rule_reads_and_what_it_fills(tmp_path):
    from tandem.ingest.preview import preview

    path = tmp_path / "deals.csv"
    path.write_text("Deal,Created,First contact\nB,,2024-01-02\n", encoding="utf-8")
    shown = preview(path, "opportunities", parse_mapping(DERIVE, "m", "opportunities"))
    assert ("First contact", "created_at where empty (dated by their first contact)") in (
        shown.columns
    )
    [(line, record, problems)] = shown.rows
    assert record["derived"] == {"created_at": "dated by their first contact"} and not problems
    assert record["created_at"] == datetime(2024, 1, 2, tzinfo=UTC)


CONTACTS = "email,created_at,first_seen\na@x.com,2024-01-01,\nb@x.com,,\nc@x.com,,2024-02-02\n"
DATED = "note: new contact without a creation date in the file: dated at the import"


def test_contacts_dated_at_the_import_are_reported_on_both_paths(db, run_import):
    # The frame path (generic contacts): b and c have no creation date.
    fast = run_import("contacts", CONTACTS)
    assert f"{DATED} (2 rows, first at line 3)" in report.note_lines(fast)
    # The row path (a derive rule): c is dated by the rule, only b by the import.
    rule = "derive: {created_at: {from: first_seen, reason: dated by their first visit}}\n"
    slow = run_import(
        "contacts",
        CONTACTS.replace("@x.com", "@y.com"),
        mapping=parse_mapping(rule, "m", "contacts"),
    )
    lines = report.note_lines(slow)
    assert f"{DATED} (1 rows, first at line 3)" in lines
    assert (
        "1 contact dated by their first visit (profile rule created_at from first_seen; "
        "first at line 4)"
    ) in lines
    c = db.scalar(select(Contact).where(Contact.email == "c@y.com"))
    assert c.created_at == datetime(2024, 2, 2, tzinfo=UTC)


def test_a_won_deal_without_a_close_date_says_its_customer_stage_is_dated_at_the_import(
    db, run_import
):
    f.contact(db, email="buyer@bigco.com", lifecycle_stage="sql")
    job = run_import("opportunities", "name,stage,contact_email\nBig,closed_won,buyer@bigco.com\n")
    assert (
        "note: won deal without a close date: its contact's customer stage is dated at the "
        "import (1 rows, first at line 2)"
    ) in report.note_lines(job)
