"""The frame path and the row path import the same files to the same database state, report
the same counts, quarantine the same rows for the same reasons and write the same notes."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tandem.accounts.models import Account
from tandem.activities.models import Activity
from tandem.auth.models import User
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.ingest import frames, jobs
from tandem.ingest.mapping import load_mapping
from tandem.lifecycle.models import StageTransition
from tests import factories as f

HUBSPOT = (
    "Record ID,First Name,Email,Lifecycle Stage,Original Source,Create Date,Associated Company,"
    "Contact owner,Lead Status\n"
    "1,Ana,ana@acme.com,Lead,Organic Search,2024-01-02 10:00,Acme,Ops Person,New\n"
    "2,Bo,bo@acme.com,Marketing Qualified Lead,Paid Search,1/3/2024 11:00 AM,Acme,Nobody,\n"
    "3,Cy,cy@gmail.com,Subscriber,Direct Traffic,2024-01-04 12:00,,,Open\n"
    "4,Di,not-an-email,Lead,,2024-01-04,,,\n"
    "5,Ed,ana@acme.com,Lead,,2024-01-05,,,\n"
    "6,Fay,fay@acme.com,Wizard,,2024-01-05,,,\n"
    "7,Gus,gus@acme.com\n"
    "2,Hal,hal@acme.com,Customer,,2024-01-06,,,\n"
)
UPDATED = HUBSPOT.replace("2,Bo,bo@acme.com,Marketing Qualified Lead", "2,Bo,bo@acme.com,Lead")
UPDATED = UPDATED.replace("3,Cy,cy@gmail.com,Subscriber", "3,Cy,cy@gmail.com,Customer")
ACTIVITIES = (
    "contact_email,contact_external_id,type,occurred_at,channel,campaign,url,properties.note\n"
    "a@acme.com,,web_visit,2024-03-01 10:00,organic_search,Spring,https://t.io/a,hi\n"
    "a@acme.com,,Web Visit,2024-03-01 10:00,organic_search,Spring,https://t.io/a,\n"
    ",ext-9,email_click,1709287200,,,,\n"
    ",nobody,email_click,1709287200,,,,\n"
    "b@acme.com,,teleportation,2024-03-02,,,,\n"
    "b@acme.com,,meeting,02.03.2024,email,Fall,,\n"
)


def _state(db, since):
    """Rows as stored; times set from the clock during the test (defaults) shown as "now"."""

    def masked(row):
        return tuple("now" if isinstance(v, datetime) and v >= since else v for v in row)

    accounts = dict(db.execute(select(Account.id, Account.name)).all())
    users = dict(db.execute(select(User.id, User.email)).all())
    campaigns = dict(db.execute(select(Campaign.id, Campaign.name)).all())
    contacts = [
        (*row[:6], accounts.get(row[6]), users.get(row[7]), *row[8:])
        for row in db.execute(
            select(
                Contact.email, Contact.external_id, Contact.first_name, Contact.lifecycle_stage,
                Contact.stage_entered_at, Contact.created_at, Contact.account_id,
                Contact.owner_id, Contact.first_touch_source, Contact.custom_fields,
            ).order_by(Contact.email)
        )
    ]  # fmt: skip
    moves = db.execute(
        select(Contact.email, StageTransition.from_stage, StageTransition.to_stage,
               StageTransition.occurred_at, StageTransition.actor)
        .join(Contact, Contact.id == StageTransition.contact_id)
        .order_by(Contact.email, StageTransition.id)
    ).all()  # fmt: skip
    touches = [
        (*row[:7], campaigns.get(row[7]))
        for row in db.execute(
            select(Activity.idempotency_key, Contact.email, Activity.type, Activity.occurred_at,
                   Activity.channel, Activity.url, Activity.properties, Activity.campaign_id)
            .join(Contact, Contact.id == Activity.contact_id)
            .order_by(Activity.idempotency_key)
        )
    ]  # fmt: skip
    return [masked(r) for r in contacts], [masked(r) for r in moves], [masked(r) for r in touches]


def _report(db, job):
    errors = jobs.list_errors(jobs.nested(db.connection()), job["id"])
    counts = {k: job[k] for k in job if k.startswith("rows_")}
    notes = sorted((n["note"], n["rows"], n["line"]) for n in job["notes"])
    return (
        counts,
        [(e["line"], e["field"], e["value"], e["reason"], e["raw"]) for e in errors],
        notes,
    )


def _both(db, monkeypatch, steps):
    """Run `steps` (kind, text or path, profile, mapping) on each path; their outcomes."""
    outcomes = []
    since = datetime.now(UTC)
    for row_path in (False, True):
        savepoint = db.connection().begin_nested()
        try:
            with monkeypatch.context() as patch:
                if row_path:
                    patch.setattr(frames, "supported", lambda kind, mapping: "forced")
                f.user(db, name="Ops Person", email="ops@tandem-example.com")
                f.contact(db, email="ext9@acme.com", external_id="ext-9")
                reports = [_report(db, run(*step)) for run, *step in steps]
            outcomes.append((reports, _state(db, since)))
        finally:
            savepoint.rollback()
            db.expire_all()
    return outcomes


@pytest.mark.parametrize("chunk_rows", [2, 1000])
def test_contacts_and_activities_take_either_path_to_the_same_result(
    db, run_import, monkeypatch, chunk_rows
):
    def run(kind, text, profile="generic"):
        return run_import(kind, text, profile, chunk_rows=chunk_rows)

    frame, row = _both(
        db,
        monkeypatch,
        [
            (run, "contacts", HUBSPOT, "hubspot"),
            (run, "contacts", UPDATED, "hubspot"),
            (run, "contacts", HUBSPOT, "hubspot"),
            (run, "activities", ACTIVITIES),
            (run, "activities", ACTIVITIES),
        ],
    )
    assert frame == row
    reports, (contacts, moves, touches) = frame
    assert reports[0][0]["rows_new"] == 3 and reports[1][0]["rows_updated"] == 1
    assert len(touches) == 3 and ("cy@gmail.com", "subscriber", "customer") in [
        m[:3] for m in moves
    ]


def test_the_example_mapping_takes_either_path_to_the_same_result(
    db, run_import, monkeypatch, repo_root
):
    folder = repo_root / "examples" / "ingest"
    mapping = load_mapping(folder / "mapping.yaml", "contacts")

    def run(path):
        return run_import("contacts", path, mapping=mapping)

    frame, row = _both(db, monkeypatch, [(run, folder / "leads_de.csv")])
    assert frame == row
    ((counts, errors, notes),) = frame[0]
    assert counts["rows_new"] >= 2 and errors
