"""Each record keeps the source it came from: the import job (its profile or `--source`
label), the API token; a later writer never takes it over."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tandem.accounts.models import Account
from tandem.activities.models import Activity
from tandem.analytics.snapshot import load_facts
from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.contacts.models import Contact, RecordSource
from tandem.ingest import events
from tandem.ingest.mapping import Mapping
from tandem.opportunities.models import Opportunity
from tests import factories as f


def _sources(db, model):
    """(email or name or key, source kind, source name, job, token) of every row of `model`."""
    label = {Contact: Contact.email, Account: Account.name, Opportunity: Opportunity.name}
    key = label.get(model, getattr(model, "idempotency_key", None))
    rows = db.execute(
        select(
            key, RecordSource.kind, RecordSource.name, RecordSource.job_id, RecordSource.token_id
        )
        .select_from(model)
        .outerjoin(RecordSource, RecordSource.id == model.source_id)
    ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


@pytest.mark.parametrize("row_path", [False, True], ids=["frames", "rows"])
def test_an_import_names_its_records_source_and_keeps_the_first(db, run_import, row_path):
    # A scaled value sends every contact through the row path.
    mapping = {"scale": {"budget": 1.0}} if row_path else {}
    first = run_import(
        "contacts",
        "email,account_name\nana@acme.com,Acme\n",
        mapping=Mapping(**mapping),
        source="trade show 2024",
    )
    second = run_import("contacts", "email,first_name\nana@acme.com,Ana\nbo@acme.com,Bo\n")
    touches = run_import(
        "activities",
        "contact_email,type,occurred_at\nana@acme.com,web_visit,2024-05-01T10:00:00Z\n"
        "cy@acme.com,web_visit,2024-05-01T11:00:00Z\n",
    )
    shown = "trade show 2024"
    assert _sources(db, Contact) == {
        "ana@acme.com": ("import", shown, first["id"], None),  # updated later, source kept
        "bo@acme.com": ("import", "generic", second["id"], None),
        "cy@acme.com": ("import", "generic", touches["id"], None),  # made for its touch
    }
    assert _sources(db, Account) == {"Acme": ("import", shown, first["id"], None)}
    assert set(_sources(db, Activity).values()) == {("import", "generic", touches["id"], None)}
    facts = load_facts(db_session=db, loaded_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert sorted(facts.contacts["source"].to_list()) == ["generic", "generic", shown]


def test_api_records_come_from_the_token(client, db):
    user = f.user(db, role=Role.MARKETER)
    token = auth.create_api_token(db_session=db, user=user, name="website forms")
    db.flush()
    headers = {"Authorization": f"Bearer {token[1]}"}
    sent = client.post("/api/v1/accounts", json=[{"name": "Acme"}], headers=headers)
    assert sent.json()["new"] == 1
    event = {"contact_email": "ana@acme.com", "type": "web_visit", "occurred_at": "2024-05-01"}
    assert client.post("/api/v1/activities", json=event, headers=headers).json()["new"] == 1
    origin = ("api", "website forms", None, token[0].id)
    assert _sources(db, Account) == {"Acme": origin}
    assert _sources(db, Contact) == {"ana@acme.com": origin}
    assert set(_sources(db, Activity).values()) == {origin}


def test_a_big_api_batch_is_stamped_by_the_frame_path(db, monkeypatch):
    monkeypatch.setattr(events, "FRAME_MIN_ITEMS", 1)
    source = RecordSource(kind="api", name="bulk", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    db.add(source)
    db.flush()
    batch = [
        {"contact_email": f"p{n}@acme.com", "type": "web_visit", "occurred_at": "2024-05-01"}
        for n in range(5)
    ]
    got = events.ingest(
        db_session=db,
        kind="activities",
        items=batch,
        now=datetime(2026, 1, 1, tzinfo=UTC),
        actor="t",
        source_id=source.id,
    )
    assert got.new == 5
    assert set(db.scalars(select(Activity.source_id))) == {source.id}
    assert set(db.scalars(select(Contact.source_id))) == {source.id}
