"""Contacts, accounts and deals created, edited and deleted in the browser: a message beside
each bad field and nothing stored, an audit entry per change, stages only through the
lifecycle, and a stale edit told with nothing lost."""

from sqlalchemy import func, select

from tandem.audit.models import AuditEvent
from tandem.contacts.models import Contact
from tandem.lifecycle.models import DealStageTransition, StageTransition
from tandem.opportunities.models import Opportunity
from tests.records.helpers import as_user, post

GOOD_CONTACT = {"email": "new.person@example.com", "first_name": "Nia", "lifecycle_stage": "lead"}


def _audit(db, action, entity_id):
    return db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.entity_id == str(entity_id)
        )
    ).all()


def _contacts(db):
    return db.scalar(select(func.count()).select_from(Contact))


def test_bad_contact_input_is_named_beside_each_field_and_nothing_is_stored(client, db, team):
    as_user(client, db, team.boss)
    before = _contacts(db)
    bad = {
        "email": "",
        "first_name": "x" * 3000,
        "budget": "1e308",
        "country": "Germany",
        "account_id": "+12",
        "lifecycle_stage": "king",
    }
    page = post(client, "/contacts/new", bad)
    assert page.status_code == 422
    text = page.text
    assert "Email is required" in text
    assert "First name should have at most 100 characters" in text
    assert "Budget should be less than or equal to 10000000000000" in text
    assert 'id="e-country"' in text and 'id="e-account_id"' in text
    assert 'id="e-lifecycle_stage"' in text
    assert 'value="Germany"' in text  # the input is kept
    assert _contacts(db) == before
    # Wrong types: text where a number goes.
    typed = post(client, "/contacts/new", {**GOOD_CONTACT, "budget": "lots", "owner_id": "me"})
    assert typed.status_code == 422 and 'id="e-budget"' in typed.text
    assert 'id="e-owner_id"' in typed.text and _contacts(db) == before


def test_create_edit_delete_a_contact_audited_and_staged_by_the_lifecycle(client, db, team):
    as_user(client, db, team.boss)
    script = "<script>alert(1)</script>"
    made = post(client, "/contacts/new", {**GOOD_CONTACT, "title": script, "budget": "1200.50"})
    assert made.status_code == 303, made.text
    contact = db.scalar(select(Contact).where(Contact.email == GOOD_CONTACT["email"]))
    assert made.headers["location"] == f"/contacts/{contact.id}"
    page = client.get(f"/contacts/{contact.id}").text
    assert script not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    entry = db.scalars(
        select(StageTransition).where(StageTransition.contact_id == contact.id)
    ).one()
    assert (entry.from_stage, entry.to_stage, entry.by_user_id) == (None, "lead", team.boss.id)
    assert _audit(db, "contact.create", contact.id)[0].after["budget"] == "1200.50"

    form = client.get(f"/contacts/{contact.id}/edit").text
    assert f'name="version" value="{contact.version}"' in form
    assert '<option value="">(keep: lead)</option>' in form  # no stage is posted unless chosen
    kept = {"title": script, "budget": "1200.5"}  # 1200.5 is the stored 1200.50: no change
    edit = {**GOOD_CONTACT, **kept, "first_name": "Nina", "lifecycle_stage": "mql", "version": "1"}
    assert post(client, f"/contacts/{contact.id}/edit", edit).status_code == 303
    db.refresh(contact)
    assert (contact.first_name, contact.lifecycle_stage) == ("Nina", "mql")
    update = _audit(db, "contact.update", contact.id)[0]
    assert update.before == {"first_name": "Nia"} and update.after == {"first_name": "Nina"}
    moves = db.scalars(
        select(StageTransition.to_stage).where(StageTransition.contact_id == contact.id)
    ).all()
    assert sorted(moves) == ["lead", "mql"]

    # Back to nurture needs a reason: told beside the stage, nothing written.
    back = {
        **edit,
        "first_name": "Changed",
        "lifecycle_stage": "nurture",
        "version": str(contact.version),
    }
    refused = post(client, f"/contacts/{contact.id}/edit", back)
    assert refused.status_code == 422 and "needs a reason" in refused.text
    db.refresh(contact)
    assert (contact.first_name, contact.lifecycle_stage) == ("Nina", "mql")

    gone = post(client, f"/contacts/{contact.id}/delete", {})
    assert gone.status_code == 303
    assert db.scalar(select(Contact.id).where(Contact.id == contact.id)) is None
    assert _audit(db, "contact.delete", contact.id)[0].before["first_name"] == "Nina"


def test_a_stale_edit_is_told_with_their_values_and_nothing_is_lost(client, db, team):
    as_user(client, db, team.boss)
    contact = team.anns
    version = contact.version
    base = {"email": contact.email, "first_name": "Anns", "version": str(version)}
    # Someone else saves first.
    assert post(client, f"/contacts/{contact.id}/edit", {**base, "title": "CFO"}).status_code == 303
    # The second edit, made from the same version, is refused and shown both ways.
    mine = {**base, "title": "Head of Finance", "phone": "+49 30 1234"}
    stale = post(client, f"/contacts/{contact.id}/edit", mine)
    assert stale.status_code == 409
    text = stale.text
    assert "was changed by Sam Boss while you were editing" in text
    assert 'value="Head of Finance"' in text and 'value="+49 30 1234"' in text  # kept
    assert "Now stored: <strong>CFO</strong>" in text  # theirs
    db.refresh(contact)
    assert (contact.title, contact.phone) == ("CFO", None)
    # Saving again (the form now names the stored version) is a choice made seeing theirs.
    assert f'name="version" value="{contact.version}"' in text
    again = post(client, f"/contacts/{contact.id}/edit", {**mine, "version": str(contact.version)})
    assert again.status_code == 303
    db.refresh(contact)
    assert contact.title == "Head of Finance"


def test_accounts_new_edit_and_bad_input(client, db, team):
    as_user(client, db, team.mark)
    bad = post(client, "/accounts/new", {"name": " ", "domain": "not a domain", "employees": "-4"})
    assert bad.status_code == 422
    assert "Name is required" in bad.text and 'id="e-domain"' in bad.text
    assert 'id="e-employees"' in bad.text
    taken = post(client, "/accounts/new", {"name": "Dup", "domain": team.acct.domain})
    assert taken.status_code == 422 and "another account already has" in taken.text
    made = post(client, "/accounts/new", {"name": "Globex", "domain": "https://Globex.example/"})
    assert made.status_code == 303
    account_id = int(made.headers["location"].rsplit("/", 1)[1])
    assert _audit(db, "account.create", account_id)[0].after["domain"] == "globex.example"
    edit = {"name": "Globex AG", "domain": "globex.example", "is_target": "on", "version": "1"}
    assert post(client, f"/accounts/{account_id}/edit", edit).status_code == 303
    assert _audit(db, "account.update", account_id)[0].after == {
        "name": "Globex AG",
        "is_target": True,
    }
    # Marketers do not delete.
    assert post(client, f"/accounts/{account_id}/delete", {}).status_code == 403


def test_deals_new_edit_and_their_stage_through_the_lifecycle(client, db, team):
    as_user(client, db, team.ann)
    acct = team.anns_acct
    bad = post(
        client,
        "/opportunities/new",
        {
            "name": "Big",
            "account_id": str(acct.id),
            "amount": "99999999999999999",
            "stage": "closed_lost",
        },
    )
    assert bad.status_code == 422 and 'id="e-amount"' in bad.text
    lost = post(
        client,
        "/opportunities/new",
        {"name": "Big", "account_id": str(acct.id), "stage": "closed_lost"},
    )
    assert lost.status_code == 422 and 'id="e-lost_reason"' in lost.text
    assert "a lost deal needs a lost reason" in lost.text
    # A deal on Bob's account: not Ann's to open.
    theirs = post(client, "/opportunities/new", {"name": "Poach", "account_id": str(team.acct.id)})
    assert theirs.status_code == 403
    made = post(
        client,
        "/opportunities/new",
        {
            "name": "Renewal 2027",
            "account_id": str(acct.id),
            "amount": "25000",
            "stage": "proposal",
        },
    )
    assert made.status_code == 303, made.text
    deal = db.scalar(select(Opportunity).where(Opportunity.name == "Renewal 2027"))
    assert (deal.owner_id, deal.currency, deal.stage) == (team.ann.id, "USD", "proposal")
    log = db.scalars(
        select(DealStageTransition).where(DealStageTransition.opportunity_id == deal.id)
    ).all()
    assert [(t.from_stage, t.to_stage) for t in log] == [(None, "proposal")]
    page = client.get(f"/opportunities/{deal.id}").text
    assert "25,000 USD" in page and 'id="move-form"' in page
    edit = {
        "name": "Renewal 2027",
        "account_id": str(acct.id),
        "amount": "30000",
        "stage": "closed_won",
        "version": str(deal.version),
    }
    assert post(client, f"/opportunities/{deal.id}/edit", edit).status_code == 303
    db.refresh(deal)
    assert (deal.amount, deal.stage, deal.is_closed, deal.is_won) == (
        30000,
        "closed_won",
        True,
        True,
    )
    # A rep does not delete.
    assert post(client, f"/opportunities/{deal.id}/delete", {}).status_code == 403
