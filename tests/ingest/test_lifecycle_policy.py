"""Imports move stages only as the lifecycle allows: a forbidden move quarantines its row (CSV)
or fails its item (event API) with the reason, and is never logged; allowed jumps are logged."""

from sqlalchemy import select

from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.ingest import jobs
from tandem.lifecycle.models import StageTransition
from tests import factories as f

HEADER = "email,lifecycle_stage\n"


def _moves(db, email):
    return db.execute(
        select(StageTransition.from_stage, StageTransition.to_stage, StageTransition.actor)
        .join(Contact, Contact.id == StageTransition.contact_id)
        .where(Contact.email == email)
        .order_by(StageTransition.id)
    ).all()


def test_csv_rows_asking_forbidden_moves_are_quarantined_the_rest_go_in(db, run_import):
    first = run_import(
        "contacts",
        HEADER + "ana@acme.com,mql\nbo@acme.com,sql\ncy@acme.com,lead\ndee@acme.com,sql\n",
    )
    assert first["rows_new"] == 4
    second = run_import(
        "contacts",
        HEADER
        + "ana@acme.com,sql\n"  # MQL -> SQL skips sales' answer: refused
        + "bo@acme.com,lead\n"  # backwards along the funnel: refused
        + "cy@acme.com,customer\n"  # lead -> customer: another system's jump, allowed
        + "dee@acme.com,nurture\n",  # recycled without a reason: refused
    )
    assert (second["rows_updated"], second["rows_quarantined"]) == (1, 3)
    errors = jobs.list_errors(jobs.nested(db.connection()), second["id"])
    found = {(e["line"], e["field"]): e["reason"] for e in errors}
    assert set(found) == {(2, "lifecycle_stage"), (3, "lifecycle_stage"), (5, "lifecycle_stage")}
    assert "cannot move from mql to sql: not an allowed move" in found[(2, "lifecycle_stage")]
    assert "cannot move from sql to lead" in found[(3, "lifecycle_stage")]
    assert "a recycle move needs a reason" in found[(5, "lifecycle_stage")]
    stages = dict(db.execute(select(Contact.email, Contact.lifecycle_stage)).all())
    assert stages == {
        "ana@acme.com": "mql",
        "bo@acme.com": "sql",
        "cy@acme.com": "customer",
        "dee@acme.com": "sql",
    }
    assert _moves(db, "ana@acme.com") == [(None, "mql", "import:generic")]  # nothing logged
    assert _moves(db, "cy@acme.com") == [
        (None, "lead", "import:generic"),
        ("lead", "customer", "import:generic"),
    ]


def test_a_won_deal_never_moves_its_contact_the_lifecycle_refuses(db, run_import):
    nurtured = f.contact(db, email="old@bigco.com", lifecycle_stage="nurture")
    db.flush()
    job = run_import(
        "opportunities",
        "name,stage,amount,is_won,closed_at,contact_email\n"
        "Big deal,closed_won,1000,true,2024-05-01,old@bigco.com\n",
    )
    assert job["rows_new"] == 1  # the deal goes in
    assert db.get(Contact, nurtured.id).lifecycle_stage == "nurture"
    (note,) = [n for n in job["notes"] if n["note"].startswith("stage kept")]
    assert "cannot move from nurture to customer" in note["note"]


def test_event_api_items_asking_forbidden_moves_fail_alone(client, db):
    user = f.user(db, role=Role.MARKETER)
    _, plain = auth.create_api_token(db_session=db, user=user, name="t")
    f.contact(db, email="mql@acme.com", lifecycle_stage="mql")
    db.flush()
    body = [
        {"email": "mql@acme.com", "lifecycle_stage": "opportunity"},
        {"email": "new@acme.com", "lifecycle_stage": "lead"},
    ]
    answer = client.post(
        "/api/v1/contacts", json=body, headers={"Authorization": f"Bearer {plain}"}
    ).json()
    assert [i["status"] for i in answer["items"]] == ["rejected", "new"]
    (error,) = answer["items"][0]["errors"]
    assert error["field"] == "lifecycle_stage" and "not an allowed move" in error["reason"]
    assert _moves(db, "mql@acme.com") == []
    assert (
        db.scalar(select(Contact.lifecycle_stage).where(Contact.email == "mql@acme.com")) == "mql"
    )
