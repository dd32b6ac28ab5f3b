"""Managing webhooks: the admin page, the API and the CLI."""

import re

from sqlalchemy import select
from typer.testing import CliRunner

from tandem.auth.roles import Role
from tandem.cli.main import app as cli
from tandem.web.csrf import CSRF_COOKIE
from tandem.webhooks.models import Delivery
from tests import factories as f
from tests.web.test_pages import login


def _as(client, db, role):
    user = f.user(db, role=role, name=f"{role.value} person")
    db.flush()
    assert login(client, user.email).status_code == 303
    return user


def test_an_admin_adds_a_webhook_in_the_page_sees_its_secret_once_and_removes_it(client, db):
    _as(client, db, Role.ADMIN)
    page = client.get("/admin/webhooks")
    assert page.status_code == 200 and "No webhooks yet." in page.text
    token = client.cookies.get(CSRF_COOKIE)
    added = client.post(
        "/admin/webhooks",
        data={
            "url": "https://hooks.example/t",
            "events": ["mql.new", "deal.won"],
            "csrf_token": token,
        },
    )
    secret = re.search(r'id="secret">([0-9a-f]{64})<', added.text).group(1)
    listed = client.get("/admin/webhooks").text
    assert "https://hooks.example/t" in listed and "mql.new, deal.won" in listed
    assert secret not in listed
    hook_id = client.get("/api/v1/webhooks").json()[0]["id"]
    removed = client.post(f"/admin/webhooks/{hook_id}/remove", data={"csrf_token": token})
    assert removed.status_code == 200 and "No webhooks yet." in removed.text


def test_a_bad_address_is_named_beside_the_form_and_nothing_is_stored(client, db):
    _as(client, db, Role.ADMIN)
    token = client.cookies.get(CSRF_COOKIE)
    answer = client.post(
        "/admin/webhooks",
        data={"url": "javascript:alert(1)", "events": ["mql.new"], "csrf_token": token},
    )
    assert answer.status_code == 422 and "is not an http:// or https:// address" in answer.text
    assert client.get("/api/v1/webhooks").json() == []


def test_the_api_adds_lists_and_shows_deliveries(client, db):
    _as(client, db, Role.ADMIN)
    headers = {"X-CSRF-Token": client.cookies.get(CSRF_COOKIE)}
    made = client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/h", "events": ["stage.changed"]},
        headers=headers,
    )
    assert made.status_code == 201 and len(made.json()["secret"]) == 64
    assert client.get("/api/v1/webhooks").json()[0]["secret"] is None
    contact = f.contact(db)
    from tandem.db import utcnow
    from tandem.lifecycle.service import move_stage

    move_stage(db_session=db, contact=contact, to_stage="mql", at=utcnow(), cause="test")
    db.flush()
    log = client.get(f"/api/v1/webhooks/{made.json()['id']}/deliveries").json()
    assert [(d["event"], d["status"]) for d in log] == [("stage.changed", "pending")]
    assert client.get("/api/v1/webhooks/999999/deliveries").status_code == 404
    bad = client.post(
        "/api/v1/webhooks", json={"url": "http://x.example", "events": ["nope"]}, headers=headers
    )
    assert bad.status_code == 422 and "unknown event nope" in bad.json()["detail"]
    assert len(db.scalars(select(Delivery)).all()) == 1


def test_other_roles_cannot_open_the_webhooks_page(client, db):
    _as(client, db, Role.SALES_MANAGER)
    assert client.get("/admin/webhooks").status_code == 403
    assert "/admin/webhooks" not in client.get("/").text


def test_the_cli_adds_lists_removes_and_sends(tmp_path, monkeypatch):
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(make_engine(url))
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    runner = CliRunner()
    added = runner.invoke(
        cli, ["webhooks", "add", "https://hooks.example/x", "--events", "mql.new,deal.won"]
    )
    assert added.exit_code == 0, added.output
    assert re.search(r"not shown again\):\n[0-9a-f]{64}\n", added.output)
    listed = runner.invoke(cli, ["webhooks", "list"])
    assert "hooks.example" in listed.output and "mql.new deal.won" in listed.output
    refused = runner.invoke(cli, ["webhooks", "add", "https://h.example", "--events", "mql.nope"])
    assert refused.exit_code == 1 and "unknown event mql.nope" in refused.output
    assert "delivered 0" in runner.invoke(cli, ["webhooks", "send"]).output
    assert runner.invoke(cli, ["webhooks", "deliveries"]).exit_code == 0
    assert runner.invoke(cli, ["webhooks", "remove", "1"]).exit_code == 0
    gone = runner.invoke(cli, ["webhooks", "remove", "1"])
    assert gone.exit_code == 1 and "no webhook 1" in gone.output
