"""The routing and SLA editors' "check, diff and test with this contact": a bad line is named
with its line and field and nothing is stored; the fixed text shows its diff and routes the
chosen contact to the new owner beside the owner in force; a proposal is tested the same way;
after approval the version in force gives the new owner."""

import re

import pytest
from sqlalchemy import func, select

from tandem.auth.roles import Role
from tandem.db import utcnow
from tandem.definitions import service
from tandem.definitions.models import DefinitionVersion
from tandem.handoff.definitions import ROUTING as ROUTING_KIND
from tandem.handoff.definitions import SLA as SLA_KIND
from tandem.settings import Settings
from tests import factories as f
from tests.handoff.conftest import ROUTING, SLA
from tests.handoff.test_pages import csrf, signed_in

EAST = ROUTING.replace(
    "rules:\n  - {id: us, match: {country: US}, team: us}",
    "  east:\n    reps:\n      - {user_id: bob@example.com, capacity: 5}\n"
    "rules:\n  - {id: us-east, match: {country: US}, team: east}",
)


@pytest.fixture
def settings(engine):
    """No files named: the definitions in the database are the only source (as in the app)."""
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        environment="test",
        sla_scheduler=False,
    )


@pytest.fixture
def live(db):
    """Reps ann and bob, manager boss, admin ops; routing and SLA in force; one US contact."""
    people = {
        "ann": f.user(db, Role.SALES_REP, email="ann@example.com"),
        "bob": f.user(db, Role.SALES_REP, email="bob@example.com"),
        "boss": f.user(db, Role.SALES_MANAGER, email="boss@example.com"),
        "ops": f.user(db, Role.ADMIN, email="ops@example.com"),
        "mia": f.user(db, Role.MARKETER, email="mia@example.com"),
    }
    for kind, text in ((ROUTING_KIND, ROUTING), (SLA_KIND, SLA)):
        service.adopt(db_session=db, kind=kind, text=text, source="test", at=utcnow())
    lead = f.contact(db, email="lee@acme.example", country="US")
    db.flush()
    return people, lead


def _owners(html: str) -> dict[str, str]:
    rows = re.findall(r'<tr id="preview-(\w+)">.*?<td class="owner">([^<]*)</td>', html, re.S)
    return dict(rows)


def test_a_manager_fixes_a_bad_line_tests_the_contact_proposes_and_the_admin_approves(
    client, db, live
):
    people, lead = live
    signed_in(client, people["boss"])
    bad = EAST.replace("team: east}", "team: eest}")
    page = client.post(
        "/admin/routing/preview",
        data={"text": bad, "contact": "lee@acme.example", "csrf_token": csrf(client)},
    )
    assert page.status_code == 422
    line = bad.splitlines().index("  - {id: us-east, match: {country: US}, team: eest}") + 1
    assert f"line {line}:" in page.text
    assert (
        "rules[0].team: rule &#39;us-east&#39; routes to unknown team &#39;eest&#39;" in page.text
    )
    assert "team: eest" in page.text.split("<textarea", 1)[1]  # the text is kept to fix
    assert db.scalar(select(func.count()).select_from(DefinitionVersion)) == 2  # nothing stored

    fixed = client.post(
        "/admin/routing/preview",
        data={"text": EAST, "contact": str(lead.id), "csrf_token": csrf(client)},
    )
    assert fixed.status_code == 200 and "no errors" in fixed.text
    assert '<span class="add">+  - {id: us-east, match: {country: US}, team: east}</span>' in (
        fixed.text
    )
    assert _owners(fixed.text) == {"current": "ann@example.com", "proposed": "bob@example.com"}

    proposed = client.post(
        "/admin/routing/proposals",
        data={"text": EAST, "note": "east team", "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert proposed.headers["location"] == "/admin/routing?done=proposed-v2"
    row = db.scalar(select(DefinitionVersion).where(DefinitionVersion.status == "proposed"))

    signed_in(client, people["ops"])
    tested = client.post(
        "/admin/routing/preview",
        data={"proposal": str(row.id), "contact": "lee@acme.example", "csrf_token": csrf(client)},
    )
    assert _owners(tested.text)["proposed"] == "bob@example.com"
    client.post(
        f"/admin/routing/versions/{row.id}/approve",
        data={"csrf_token": csrf(client), "note": "ok"},
    )
    after = client.post(
        "/admin/routing/preview",
        data={"text": EAST, "contact": "lee@acme.example", "csrf_token": csrf(client)},
    )
    assert _owners(after.text) == {"current": "bob@example.com", "proposed": "bob@example.com"}
    assert "Same as the version in force" in after.text
    routed = client.get(f"/api/v1/handoff/routing/{lead.id}").json()
    assert (routed["owner_key"], routed["rule_id"]) == ("bob@example.com", "us-east")


def test_the_sla_editor_shows_the_contacts_policy_and_tier(client, db, live):
    people, lead = live
    signed_in(client, people["ops"])
    text = SLA.replace("name: standard", "name: regular")
    page = client.post(
        "/admin/sla/preview",
        data={"text": text, "contact": str(lead.id), "csrf_token": csrf(client)},
    )
    row = page.text.split('id="preview-proposed"', 1)[1].split("</tr>", 1)[0]
    assert "inbound · regular" in row
    assert "inbound · standard" in page.text.split('id="preview-current"', 1)[1]


def test_an_unknown_contact_is_named_and_others_may_not_preview(client, db, live):
    people, _ = live
    signed_in(client, people["boss"])
    page = client.post(
        "/admin/routing/preview",
        data={"text": ROUTING, "contact": "nobody@x.example", "csrf_token": csrf(client)},
    )
    assert "no contact with id or email &#39;nobody@x.example&#39;" in page.text
    signed_in(client, people["mia"])
    refused = client.post(
        "/admin/routing/preview", data={"text": ROUTING, "csrf_token": csrf(client)}
    )
    assert refused.status_code == 403
