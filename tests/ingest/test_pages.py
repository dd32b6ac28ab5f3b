"""The admin upload page: preview first, commit second, quarantine shown; admins only."""

import re

from sqlalchemy import select

from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tandem.web.csrf import CSRF_COOKIE
from tests import factories as f
from tests.web.test_pages import login

CSV = b"Email,Lifecycle Stage,Shoe\nana@acme.com,Lead,42\nbad-email,Lead,41\n"


def test_admin_previews_then_commits_and_sees_the_quarantine(client, db, settings, tmp_path):
    settings.data_dir = tmp_path
    admin = f.user(db, role=Role.ADMIN)
    assert login(client, admin.email).status_code == 303
    assert "Import" in client.get("/ingest").text
    token = client.cookies.get(CSRF_COOKIE)
    form = {"kind": "contacts", "profile": "hubspot", "csrf_token": token}
    page = client.post("/ingest/preview", data=form, files={"file": ("leads.csv", CSV, "text/csv")})
    assert page.status_code == 200, page.text
    assert "Unknown columns (ignored): Shoe" in page.text and "not a valid email" in page.text
    assert db.scalar(select(Contact).where(Contact.email == "ana@acme.com")) is None
    stored = re.search(r'name="stored" value="([^"]+)"', page.text).group(1)
    done = client.post("/ingest/commit", data=form | {"stored": stored}, follow_redirects=True)
    assert "1 new" in done.text and "1 quarantined" in done.text and "bad-email" in done.text
    assert db.scalar(select(Contact).where(Contact.email == "ana@acme.com")) is not None


def test_only_admins_import_and_forms_need_csrf(client, db):
    rep = f.user(db, role=Role.SALES_REP)
    login(client, rep.email)
    assert client.get("/ingest").status_code == 403
    response = client.post(
        "/ingest/commit", data={"stored": "x", "kind": "contacts", "profile": "generic"}
    )
    assert response.status_code == 403 and "CSRF" in response.text
