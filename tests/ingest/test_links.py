"""Imports keep every link: HubSpot associations, Salesforce ids and contact roles, in any
import order; links to records never imported are reported, merges are reported as merges."""

import pytest
from sqlalchemy import select

from tandem.accounts.models import Account
from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.ingest import report
from tandem.ingest.mapping import Mapping, profile_mapping
from tandem.ingest.models import PendingLink
from tandem.opportunities.models import Opportunity, OpportunityContactRole
from tests import factories as f
from tests.web.test_pages import login

# As HubSpot's "Export all" writes them: associations as ids separated by ";".
COMPANIES = (
    "Record ID,Company name,Company Domain Name,Industry,Create Date\n"
    "101,Acme,acme.com,Software,2024-01-02 10:00\n"
    "102,Globex,globex.com,Retail,2024-01-02 10:00\n"
)
CONTACTS = (
    "Record ID,First Name,Last Name,Email,Lifecycle Stage,Associated Company IDs\n"
    "201,Ana,Ng,ana@gmail.com,Lead,101\n"
    "202,Bo,Li,bo@acme.com,Lead,101;102\n"
    "203,Cy,Ro,cy@globex.com,Lead,102\n"
)
DEALS = (
    "Record ID,Deal Name,Deal Stage,Amount,Create Date,Pipeline,Associated Company IDs,"
    "Associated Contact IDs\n"
    "301,Acme renewal,Closed Won,5000,2024-02-01 10:00,Sales Pipeline,101,202;201\n"
    "302,Globex pilot,Appointment Scheduled,1000,2024-02-03 10:00,Sales Pipeline,102,203\n"
    "303,Acme upsell,Contract Sent,800,2024-02-05 10:00,Sales Pipeline,101;102,\n"
)


def _accounts(db):
    return dict(db.execute(select(Account.external_id, Account.id)).all())


def _contacts(db):
    return dict(db.execute(select(Contact.external_id, Contact.id)).all())


def _deals(db):
    rows = db.execute(
        select(Opportunity.external_id, Opportunity.account_id, Opportunity.primary_contact_id)
    ).all()
    return {ext: (account, contact) for ext, account, contact in rows}


def _roles(db):
    rows = db.execute(
        select(
            Opportunity.external_id,
            Contact.external_id,
            OpportunityContactRole.role,
            OpportunityContactRole.is_primary,
        )
        .join(Opportunity, Opportunity.id == OpportunityContactRole.opportunity_id)
        .join(Contact, Contact.id == OpportunityContactRole.contact_id)
    ).all()
    return sorted(rows)


def _notes(job):
    return [n["note"] for n in job["notes"]]


EXPECTED_ROLES = [
    ("301", "201", "unknown", False),
    ("301", "202", "unknown", True),
    ("302", "203", "unknown", True),
]


def _assert_linked(db):
    accounts, contacts = _accounts(db), _contacts(db)
    linked = dict(db.execute(select(Contact.external_id, Contact.account_id)).all())
    # The first company named is the contact's, whatever its email's domain says.
    assert linked == {"201": accounts["101"], "202": accounts["101"], "203": accounts["102"]}
    assert _deals(db) == {
        "301": (accounts["101"], contacts["202"]),
        "302": (accounts["102"], contacts["203"]),
        "303": (accounts["101"], None),
    }
    assert _roles(db) == EXPECTED_ROLES


def test_a_hubspot_export_links_contacts_and_deals(db, run_import):
    companies = run_import("accounts", COMPANIES, "hubspot")
    contacts = run_import("contacts", CONTACTS, "hubspot")
    deals = run_import("opportunities", DEALS, "hubspot")
    assert [j["rows_new"] for j in (companies, contacts, deals)] == [2, 3, 3]
    for job in (contacts, deals):
        assert not any("ignored" in n for n in _notes(job)), _notes(job)
    _assert_linked(db)
    assert db.scalar(select(PendingLink.id)) is None


@pytest.mark.parametrize("row_path", [False, True], ids=["frames", "rows"])
def test_deals_and_contacts_before_their_companies(db, run_import, count, row_path):
    contacts_mapping = profile_mapping("hubspot", "contacts")
    if row_path:  # a scaled value sends every contact through the row path
        contacts_mapping = contacts_mapping.model_copy(update={"scale": {"budget": 1.0}})
    run_import("opportunities", DEALS, "hubspot")
    waiting = count(PendingLink)
    deals = run_import("opportunities", DEALS, "hubspot")  # again: nothing waits twice
    assert count(PendingLink) == waiting == 3 + 3  # a company for each deal, three contacts
    contacts = run_import("contacts", CONTACTS, "hubspot", mapping=contacts_mapping)
    assert _accounts(db) == {}  # an id alone makes no company
    assert (
        "3 deals link to company ids not imported: 101, 102 (linked when they are imported)"
        in _notes(deals)
    )
    # The contacts arrived after the deals: the deals' contacts are linked by then.
    assert "3 contacts link to company ids not imported" in " ".join(_notes(contacts))
    assert any(n.startswith("links waiting since earlier imports") for n in _notes(contacts))
    companies = run_import("accounts", COMPANIES, "hubspot")
    made = next(n for n in companies["notes"] if n["note"].startswith("links waiting"))
    assert made["rows"] == 3 + 3  # three contacts and three deals found their company
    _assert_linked(db)
    assert db.scalar(select(PendingLink.id)) is None


def test_a_company_never_imported_is_reported_on_the_job_page_and_json(db, run_import, client):
    text = DEALS + "304,Initech,Closed Lost,0,2024-03-01 10:00,Sales Pipeline,999;998,777\n"
    run_import("accounts", COMPANIES, "hubspot")
    job = run_import("opportunities", text, "hubspot")
    lines = report.note_lines(job)
    assert (
        "note: 1 deal links to company ids not imported: 999 (linked when they are imported)"
        in (lines)
    )
    assert any("3 deals link to contact ids not imported: 202, 201, 203, 777" in n for n in lines)
    assert login(client, f.user(db, role=Role.ADMIN).email).status_code == 303
    page = client.get(f"/ingest/jobs/{job['id']}")
    assert "1 deal links to company ids not imported: 999" in page.text
    answer = client.get(f"/api/v1/imports/{job['id']}").json()
    assert answer["notes"] == lines and answer["job"]["rows_new"] == 4
    assert db.scalar(select(Opportunity.account_id).where(Opportunity.external_id == "304")) is None


def test_a_company_merged_by_domain_is_reported_as_a_merge(db, run_import, count):
    text = COMPANIES + "103,Acme Inc (duplicate),acme.com,Software,2024-01-05 10:00\n"
    job = run_import("accounts", text, "hubspot")
    assert (job["rows_new"], job["rows_updated"]) == (2, 1)
    merged = next(n for n in job["notes"] if n["note"].startswith("companies merged"))
    assert (merged["rows"], merged["line"]) == (1, 4)
    # A later export with another duplicate of Acme: merged, not refused.
    later = run_import(
        "accounts", "Record ID,Company name,Company Domain Name\n104,ACME,acme.com\n", "hubspot"
    )
    assert (later["rows_new"], later["rows_updated"], later["rows_quarantined"]) == (0, 1, 0)
    assert count(Account) == 2
    deals = run_import(
        "opportunities",
        "Record ID,Deal Name,Deal Stage,Associated Company IDs\n"
        "401,A,Closed Won,103\n402,B,Closed Won,104\n",
        "hubspot",
    )
    acme = _accounts(db)["101"]
    assert {d[0] for d in _deals(db).values()} == {acme}
    assert not any("not imported" in n for n in _notes(deals))
    # Globex's own id with Acme's domain names two companies: refused, not merged.
    clash = run_import(
        "accounts", "Record ID,Company name,Company Domain Name\n102,Globex,acme.com\n", "hubspot"
    )
    assert (clash["rows_updated"], clash["rows_quarantined"]) == (0, 1)


SF_ACCOUNTS = "Account ID,Account Name,Website\n001A,Acme,acme.com\n001B,Globex,globex.com\n"
SF_CONTACTS = (
    "Contact ID,First Name,Last Name,Email,Account ID\n"
    "003A,Ana,Ng,ana@gmail.com,001A\n003B,Bo,Li,bo@example.org,001B\n003C,Cy,Ro,cy@example.org,\n"
)
SF_DEALS = (
    "Opportunity ID,Opportunity Name,Stage,Amount,AccountId,ContactId\n"
    "006A,Acme deal,Closed Won,100,001A,003A\n006B,Globex deal,Prospecting,50,001B,\n"
)
SF_ROLES = (
    "Id,OpportunityId,ContactId,Role,IsPrimary\n"
    "00K1,006B,003B,Economic Buyer,true\n"
    "00K2,006B,003C,Technical Buyer,false\n"
    "00K3,006A,003C,Influencer,false\n"
    "00K4,006Z,003Z,Other,false\n"
)


def test_salesforce_ids_and_contact_roles_in_any_order(db, run_import):
    roles = run_import("contact_roles", SF_ROLES, "salesforce")
    # Neither deal 006Z nor contact 003Z exists: that row waits in the quarantine for a retry.
    assert (roles["rows_new"], roles["rows_quarantined"]) == (0, 4)
    deals = run_import("opportunities", SF_DEALS, "salesforce")
    roles = run_import("contact_roles", SF_ROLES, "salesforce")
    assert (roles["rows_new"], roles["rows_quarantined"]) == (3, 1)
    run_import("contacts", SF_CONTACTS, "salesforce")
    run_import("accounts", SF_ACCOUNTS, "salesforce")
    accounts, contacts = _accounts(db), _contacts(db)
    assert _deals(db) == {
        "006A": (accounts["001A"], contacts["003A"]),
        "006B": (accounts["001B"], contacts["003B"]),  # IsPrimary in the roles export
    }
    assert _roles(db) == [
        ("006A", "003A", "unknown", True),
        ("006A", "003C", "influencer", False),
        ("006B", "003B", "decision_maker", True),
        ("006B", "003C", "recommender", False),
    ]
    again = run_import("contact_roles", SF_ROLES, "salesforce")
    assert (again["rows_new"], again["rows_unchanged"], again["rows_quarantined"]) == (0, 3, 1)
    linked = dict(db.execute(select(Contact.external_id, Contact.account_id)).all())
    # Cy names no account: she joins the company of the deal she is on.
    assert linked == {"003A": accounts["001A"], "003B": accounts["001B"], "003C": accounts["001A"]}
    assert "1 deal links to company ids not imported" not in " ".join(_notes(deals))


def test_any_profile_links_by_account_external_id(db, run_import):
    mapping = Mapping(columns={"company": "account_external_id"})
    run_import("contacts", "email,company\nzed@example.org,C-9\n", mapping=mapping)
    run_import("accounts", "external_id,name\nC-9,Zeta\n")
    zed = db.scalar(select(Contact).where(Contact.email == "zed@example.org"))
    assert zed.account_id == _accounts(db)["C-9"]
