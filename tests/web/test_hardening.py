"""The smaller defects of issue 21, each reproduced: 500s without the security headers, API
writes by cookie without a CSRF token, a CSRF token neither bound to the session nor rotated at
sign-in, `/ingest/commit` taking any `stored` path and showing an absolute one, formula cells in
`tandem import errors --csv`, and a NUL byte refused early in a file but stored later in it."""

import csv

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.cli.main import app as cli
from tandem.contacts.models import Contact
from tandem.db import utcnow
from tandem.goals.models import Goal
from tandem.ingest import jobs
from tandem.ingest.models import ImportJob
from tandem.ingest.rows import NUL_REASON
from tandem.web.csrf import CSRF_COOKIE, SESSION_COOKIE, bound_token
from tests import factories as f
from tests.auth.people import sign_in
from tests.factories import PASSWORD

HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options")


# --- 500s carry the security headers --------------------------------------------------------


@pytest.mark.parametrize("path", ["/boom", "/api/v1/boom"])
def test_a_server_error_still_has_the_security_headers(app: FastAPI, path):
    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route(path, boom)
    answer = TestClient(app, raise_server_exceptions=False).get(path)
    assert answer.status_code == 500
    assert all(name in answer.headers for name in HEADERS), dict(answer.headers)
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "a bug" not in answer.text


# --- CSRF: every cookie-authenticated API write; bound to the session; rotated -----------------


def _goal() -> dict:
    return {"team": "sales", "metric": "bookings", "period": "2026-Q4", "target": 100}


def test_the_goals_api_refuses_a_cookie_write_without_the_token(client, db):
    sign_in(client, db, f.user(db, Role.ADMIN))
    bare = client.post("/api/v1/goals", json=_goal())
    assert bare.status_code == 403 and "CSRF" in bare.text
    assert db.scalar(select(func.count()).select_from(Goal)) == 0
    client.get("/login")
    token = client.cookies.get(CSRF_COOKIE)
    assert (
        client.post("/api/v1/goals", json=_goal(), headers={"X-CSRF-Token": token}).status_code
        == 201
    )
    assert client.delete("/api/v1/goals/1").status_code == 403  # deletes too


def test_api_tokens_need_no_csrf_token(client, db):
    admin = f.user(db, Role.ADMIN)
    _, plain = auth.create_api_token(db_session=db, user=admin, name="t")
    answer = client.post(
        "/api/v1/goals", json=_goal(), headers={"Authorization": f"Bearer {plain}"}
    )
    assert answer.status_code == 201


def _login(client, email, password=PASSWORD):
    client.get("/login")
    token = client.cookies.get(CSRF_COOKIE)
    answer = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    return token, answer


def test_the_token_is_rotated_at_sign_in_and_bound_to_the_session(client, db):
    admin = f.user(db, Role.ADMIN)
    before, answer = _login(client, admin.email)
    assert answer.status_code == 303
    secret = answer.cookies.get(SESSION_COOKIE)
    after = client.cookies.get(CSRF_COOKIE)
    assert after != before and after == bound_token(secret)
    form = {"owner": "team:sales", "metric": "bookings", "period": "2026-Q4", "target": "5"}
    # A token planted before sign-in (cookie tossing sets both cookie and field) is refused.
    client.cookies.set(CSRF_COOKIE, before)
    planted = client.post("/goals", data=form | {"csrf_token": before}, follow_redirects=False)
    assert planted.status_code == 403
    # So is another session's token.
    other = auth.start_session(db_session=db, user=admin, now=utcnow(), hours=1)
    db.flush()
    client.cookies.set(CSRF_COOKIE, bound_token(other))
    stolen = client.post(
        "/goals", data=form | {"csrf_token": bound_token(other)}, follow_redirects=False
    )
    assert stolen.status_code == 403
    # The session's own token works.
    ok = client.post("/goals", data=form | {"csrf_token": after}, follow_redirects=False)
    assert ok.status_code == 303


# --- /ingest/commit takes only files the preview stored ------------------------------------


@pytest.mark.parametrize(
    "stored", ["", ".", "..", "../tandem.db", "imports", "x", "0123456789abcdef-..", "/etc/passwd"]
)
def test_commit_takes_only_a_stored_upload(client, db, settings, tmp_path, stored):
    settings.data_dir = tmp_path
    (tmp_path / "imports").mkdir()
    (tmp_path / "tandem.db").write_text("email\na@x.io\n")
    sign_in(client, db, f.user(db, Role.ADMIN))
    client.get("/login")
    form = {"kind": "contacts", "profile": "generic", "csrf_token": client.cookies.get(CSRF_COOKIE)}
    answer = client.post("/ingest/commit", data=form | {"stored": stored}, follow_redirects=True)
    assert answer.status_code in (400, 422) and str(tmp_path) not in answer.text
    assert db.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_a_job_whose_file_vanished_names_the_file_not_its_path(db, tmp_path):
    from tandem.ingest.mapping import profile_mapping

    tx = jobs.nested(db.connection())
    gone = tmp_path / "secret-folder" / "leads.csv"
    job_id = jobs.create_job(
        tx,
        path=gone,
        kind="contacts",
        profile="generic",
        mapping=profile_mapping("generic", "contacts"),
    )
    message = jobs.get_job(tx, job_id)["message"]
    assert message.startswith("leads.csv: ") and "secret-folder" not in message


# --- tandem import errors --csv neutralises formulas -----------------------------------------


def test_the_errors_csv_neutralises_formula_cells(tmp_path, monkeypatch):
    monkeypatch.setenv("TANDEM_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(cli, ["init"], catch_exceptions=False).exit_code == 0
    source = tmp_path / "bad.csv"
    source.write_text('email,first_name\n=HYPERLINK("http://x"),@SUM(A1)\nok@x.io,Ana\n')
    runner.invoke(cli, ["import", "contacts", str(source)], catch_exceptions=False)
    out = tmp_path / "fix.csv"
    result = runner.invoke(
        cli, ["import", "errors", "1", "--csv", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[1][:2] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


# --- a NUL byte is refused wherever it is --------------------------------------------------


def test_a_nul_byte_is_quarantined_early_and_late_in_a_file(db, tmp_path):
    from tandem.ingest.mapping import profile_mapping

    lines = [f"p{n}@acme.example,Name{n}" for n in range(1, 6001)]
    lines[1] = "p2@acme.example,Na\x00me2"  # line 3: early
    lines[5499] = "p5500@acme.example,Na\x00me5500"  # line 5501: late
    path = tmp_path / "nul.csv"
    path.write_bytes(("email,first_name\n" + "\n".join(lines) + "\n").encode())
    tx = jobs.nested(db.connection())
    mapping = profile_mapping("generic", "contacts")
    job = jobs.run_job(
        tx, jobs.create_job(tx, path=path, kind="contacts", profile="generic", mapping=mapping)
    )
    assert (job["status"], job["rows_new"], job["rows_quarantined"]) == ("done", 5998, 2)
    errors = jobs.list_errors(tx, job["id"])
    assert [(e["line"], e["field"], e["reason"]) for e in errors] == [
        (3, "first_name", NUL_REASON),
        (5501, "first_name", NUL_REASON),
    ]
    stored = db.scalars(select(Contact.first_name)).all()
    assert not any("\x00" in (name or "") for name in stored)


def test_the_event_api_refuses_a_nul_byte(client, db):
    user = f.user(db, Role.MARKETER)
    _, plain = auth.create_api_token(db_session=db, user=user, name="t")
    answer = client.post(
        "/api/v1/contacts",
        json=[{"email": "n@acme.example", "first_name": "Na\u0000me"}],
        headers={"Authorization": f"Bearer {plain}"},
    ).json()
    assert answer["rejected"] == 1 and answer["items"][0]["errors"][0]["field"] == "first_name"
