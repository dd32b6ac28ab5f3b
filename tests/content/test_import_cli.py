"""`tandem content import|list|share|unused|expired` on a real SQLite file, and buyer
engagement from imported activities naming an asset (by id, by URL) or naming none that exists."""

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tandem.activities.models import Activity
from tandem.cli.main import app as cli
from tandem.content.models import Asset, AssetShare
from tandem.db import make_engine
from tandem.migrate import upgrade
from tests import factories as f

from .conftest import token_for

runner = CliRunner()

ASSETS_CSV = """\
external_id,title,type,journey_stage,personas,products,url,expires_on
A-1,Guide to Attribution,ebook,consideration,marketer;revops,Tandem Core,https://x.example/guide,
A-2,Battlecard vs Acme,battlecard,decision,Sales Leader,,https://x.example/bc,2020-01-31
A-3,No stage here,ebook,,marketer,,,
A-4,Wrong persona,ebook,awareness,astronaut,,,
A-5,Wrong type,napkin,awareness,marketer,,,
"""


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "var"))
    with Session(engine) as db:
        f.user(db, email="rep@example.com", name="Rita Rep")
        f.contact(db, email="ada@helix.example", first_name="Ada")
        db.commit()
    yield engine, tmp_path
    engine.dispose()


def run(*args):
    return runner.invoke(cli, ["content", *args], catch_exceptions=False)


def test_import_list_share_unused_from_the_cli(store):
    engine, tmp = store
    path = tmp / "assets.csv"
    path.write_text(ASSETS_CSV)
    imported = run("import", str(path))
    assert imported.exit_code == 0, imported.output
    assert "2 new" in imported.output and "3 quarantined" in imported.output
    assert "assets.csv:4: journey_stage: required value is missing" in imported.output
    assert "assets.csv:5: personas" in imported.output and "astronaut" in imported.output
    assert "assets.csv:6: type" in imported.output and "napkin" in imported.output
    with Session(engine) as db:
        guide = db.scalar(select(Asset).where(Asset.external_id == "A-1"))
        assert (guide.personas, guide.products) == (["marketer", "revops"], ["Tandem Core"])
    listed = run("list", "--persona", "marketer", "--format", "json")
    assert listed.exit_code == 0
    assert [r["title"] for r in json.loads(listed.output)["rows"]] == ["Guide to Attribution"]
    shared = run("share", str(guide.id), "--to", "ada@helix.example", "--to", "no@x.example",
                 "--as", "rep@example.com", "--format", "json")  # fmt: skip
    assert shared.exit_code == 0, shared.output
    result = json.loads(shared.output)
    assert len(result["links"]) == 1 and "/c/" in result["links"][0]["url"]
    assert result["refused"] == [{"recipient": "no@x.example",
                                  "reason": "no contact has this email"}]  # fmt: skip
    with Session(engine) as db:
        assert db.query(AssetShare).count() == 1
    unused = run("unused", "--months", "6", "--format", "json")
    rows = {r["title"]: r["reasons"] for r in json.loads(unused.output)}
    assert rows == {"Guide to Attribution": ["never_viewed"],
                    "Battlecard vs Acme": ["never_shared", "never_viewed", "expired"]}  # fmt: skip
    refused = run("share", "999", "--to", "ada@helix.example", "--as", "rep@example.com")
    assert refused.exit_code == 1 and "no asset 999" in refused.output
    told = run("expired")
    assert told.exit_code == 0 and "told 0 owners" in told.output  # imported assets: no owner


def test_imported_activities_name_assets_by_id_or_url_and_unknown_ones_are_quarantined(store):
    engine, tmp = store
    with Session(engine) as db:
        guide = f.asset(db, title="Guide", type="ebook", journey_stage="consideration",
                        external_id="A-1", url="https://x.example/guide")  # fmt: skip
        db.commit()
        guide_id = guide.id
    path = tmp / "activities.csv"
    path.write_text(
        "contact_email,type,occurred_at,asset,url\n"
        "ada@helix.example,content_download,2026-03-01T10:00:00Z,A-1,\n"
        "ada@helix.example,page_view,2026-03-02T10:00:00Z,,https://x.example/guide\n"
        "ada@helix.example,webinar_attend,2026-03-03T10:00:00Z,NOPE-9,\n"
        "ada@helix.example,page_view,2026-03-04T10:00:00Z,,https://x.example/other\n"
    )
    imported = runner.invoke(cli, ["import", "activities", str(path)], catch_exceptions=False)
    assert "activities.csv:4: asset: no asset has this external id or URL" in imported.output
    with Session(engine) as db:
        rows = db.execute(select(Activity.type, Activity.asset_id).order_by(Activity.occurred_at))
        expected = [("content_download", guide_id), ("page_view", guide_id), ("page_view", None)]
        assert [tuple(r) for r in rows] == expected


def test_the_event_api_names_the_asset_too(client, db, people):
    guide = f.asset(db, title="Guide", type="ebook", journey_stage="consideration",
                    url="https://x.example/guide")  # fmt: skip
    headers = token_for(db, people.admin)
    answer = client.post("/api/v1/activities", headers=headers, json=[
        {"contact_email": "new@helix.example", "type": "page_view",
         "occurred_at": "2026-03-02T10:00:00Z", "url": "https://x.example/guide"},
        {"contact_email": "new@helix.example", "type": "content_download",
         "occurred_at": "2026-03-02T11:00:00Z", "asset": "missing"},
    ])  # fmt: skip
    assert answer.status_code == 200, answer.text
    statuses = [item["status"] for item in answer.json()["items"]]
    assert statuses == ["new", "rejected"]
    stored = db.scalars(select(Activity.asset_id).where(Activity.type == "page_view")).all()
    assert stored == [guide.id]


def test_a_salesforce_content_export_imports_through_its_profile(store):
    engine, tmp = store
    path = tmp / "ContentVersion.csv"
    path.write_text(
        "Id,Title,Description,ContentUrl,Content_Type__c,Journey_Stage__c,Persona__c,Product__c\n"
        "069A1,Acme battlecard,Win against Acme,https://sf.example/bc,battlecard,Decision,"
        "Sales Leader;IT,Tandem Core\n"
        "069A2,Untagged deck,,https://sf.example/deck,deck,,,\n"
    )
    imported = run("import", str(path), "--profile", "salesforce")
    assert "1 new" in imported.output and "1 quarantined" in imported.output, imported.output
    with Session(engine) as db:
        card = db.scalar(select(Asset).where(Asset.external_id == "069A1"))
        assert (card.journey_stage, card.personas) == ("decision", ["sales_leader", "it"])


def test_import_as_json_lists_each_quarantined_row(store):
    engine, tmp = store
    path = tmp / "assets.csv"
    path.write_text(ASSETS_CSV)
    done = run("import", str(path), "--format", "json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["job"]["rows_new"] == 2 and report["job"]["rows_quarantined"] == 3
    assert [(q["line"], q["field"]) for q in report["quarantined"]] == [
        (4, "journey_stage"), (5, "personas"), (6, "type")]  # fmt: skip
