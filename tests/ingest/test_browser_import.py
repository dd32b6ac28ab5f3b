"""A marketer imports in the browser: the mapping chosen per column (guessed from the headers),
the first rows as stored, the import, the quarantined row fixed in the page and imported again:
counts right, nothing stored twice, the quarantine marked fixed. Kinds and jobs by role."""

import re

import pytest
from sqlalchemy import func, select

from tandem.auth.roles import Role
from tandem.contacts.models import Contact
from tests import factories as f
from tests.handoff.test_pages import csrf, signed_in

CSV = (
    b"E-mail,First Name,Company Size,Notes\n"
    b"ana@acme.example,Ana,10,hi\n"
    b"bad-email,Bo,20,\n"
    b"cy@acme.example,Cy,30,\n"
)


@pytest.fixture
def marketer(db, settings, tmp_path):
    settings.data_dir = tmp_path
    return f.user(db, Role.MARKETER, email="mia@example.com")


def _columns(html: str) -> list[tuple[str, str]]:
    """(column, chosen field) of the mapping table."""
    rows = re.findall(
        r"<tr><td[^>]*>([^<]+)</td><td>\s*<select name=\"column\".*?</select>", html, re.S
    )
    chosen = re.findall(
        r'<select name="column"[^>]*>.*?<option value="([^"]*)"[^>]*selected', html, re.S
    )
    return list(zip(rows, chosen, strict=True))


def _count(db) -> int:
    return db.scalar(select(func.count()).select_from(Contact))


def test_a_marketer_maps_previews_imports_fixes_the_bad_row_and_reimports(client, db, marketer):
    signed_in(client, marketer)
    assert 'href="/ingest"' in client.get("/").text
    form = {"kind": "contacts", "profile": "generic", "csrf_token": csrf(client)}
    page = client.post("/ingest/preview", data=form, files={"file": ("list.csv", CSV, "text/csv")})
    assert page.status_code == 200
    # Guessed from the headers: "First Name" is a field's name; "E-mail" is not (yet).
    guessed = _columns(page.text)
    assert guessed[:2] == [("E-mail", ""), ("First Name", "first_name")]
    assert "Missing required column: email" in page.text and 'id="import"' not in page.text
    stored = re.search(r'name="stored" value="([^"]+)"', page.text).group(1)
    choice = ["email", "first_name", "", ""]
    remapped = client.post("/ingest/remap", data=form | {"stored": stored, "column": choice})
    assert remapped.status_code == 200
    assert _columns(remapped.text) == [
        ("E-mail", "email"),
        ("First Name", "first_name"),
        ("Company Size", ""),
        ("Notes", ""),
    ]
    rows = remapped.text.split('id="preview-rows"', 1)[1].split("</table>", 1)[0]
    assert "<th>email</th>" in rows and "<th>first_name</th>" in rows
    assert "ana@acme.example" in rows and "not a valid email" in rows
    assert _count(db) == 0  # a preview stores nothing

    done = client.post(
        "/ingest/commit", data=form | {"stored": stored, "column": choice}, follow_redirects=False
    )
    job = done.headers["location"]
    report = client.get(job).text
    assert "3 rows: 2 new, 0 updated, 0 unchanged, 1 quarantined" in report
    assert _count(db) == 2
    fix = report.split('id="fix-rows"', 1)[1]
    line = re.search(r'name="include-(\d+)"', fix).group(1)
    assert f'name="cell-{line}-0" value="bad-email"' in fix and 'aria-invalid="true"' in fix

    fixed = client.post(
        f"{job}/fixes",
        data={
            f"include-{line}": "1",
            f"cell-{line}-0": "bo@acme.example",
            "csrf_token": csrf(client),
        },
        follow_redirects=False,
    )
    retry = client.get(fixed.headers["location"]).text
    assert "1 rows: 1 new, 0 updated, 0 unchanged, 0 quarantined" in retry
    assert _count(db) == 3
    bo = db.scalar(select(Contact).where(Contact.email == "bo@acme.example"))
    assert bo.first_name == "Bo"
    again = client.get(job).text
    assert "yes, by job" in again and 'id="fix-rows"' not in again  # fixed: nothing left to edit
    # Sending the same fix twice does not store it twice: the row is resolved already.
    twice = client.post(
        f"{job}/fixes",
        data={
            f"include-{line}": "1",
            f"cell-{line}-0": "bo@acme.example",
            "csrf_token": csrf(client),
        },
    )
    assert twice.status_code == 422 and _count(db) == 3


def test_a_field_chosen_twice_is_named_and_nothing_imported(client, db, marketer):
    signed_in(client, marketer)
    form = {"kind": "contacts", "profile": "generic", "csrf_token": csrf(client)}
    page = client.post("/ingest/preview", data=form, files={"file": ("list.csv", CSV, "text/csv")})
    stored = re.search(r'name="stored" value="([^"]+)"', page.text).group(1)
    both = form | {"stored": stored, "column": ["email", "email", "", ""]}
    shown = client.post("/ingest/remap", data=both)
    assert shown.status_code == 422
    assert "email is chosen for both &#39;E-mail&#39; and &#39;First Name&#39;" in shown.text
    assert 'id="import"' not in shown.text
    assert client.post("/ingest/commit", data=both).status_code == 422 and _count(db) == 0


def test_marketers_import_their_kinds_and_open_only_their_own_jobs(client, db, marketer):
    signed_in(client, marketer)
    kinds = re.findall(
        r'<option value="(\w+)"',
        client.get("/ingest").text.split('name="kind"')[1].split("</select>")[0],
    )
    assert kinds == ["contacts", "activities", "campaigns"]
    form = {"kind": "opportunities", "profile": "generic", "csrf_token": csrf(client)}
    refused = client.post("/ingest/preview", data=form, files={"file": ("d.csv", CSV, "text/csv")})
    assert (
        refused.status_code == 422
        and "choose a kind (contacts, activities, campaigns)" in refused.text
    )
    admin = f.user(db, Role.ADMIN)
    signed_in(client, admin)
    form = {"kind": "contacts", "profile": "generic", "csrf_token": csrf(client)}
    page = client.post("/ingest/preview", data=form, files={"file": ("a.csv", CSV, "text/csv")})
    stored = re.search(r'name="stored" value="([^"]+)"', page.text).group(1)
    job = client.post(
        "/ingest/commit",
        data=form | {"stored": stored, "column": ["email", "", "", ""]},
        follow_redirects=False,
    ).headers["location"]
    signed_in(client, marketer)
    assert client.get(job).status_code == 403
    assert job not in client.get("/ingest").text
