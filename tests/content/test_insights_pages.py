"""The content insights as pages, JSON and CLI: one view-model, three renderings."""

import json

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tandem.cli.main import app as cli
from tests.auth.people import sign_in
from tests.content.conftest import token_for
from tests.content.test_analytics_service import seed

runner = CliRunner()


def test_dashboard_and_gap_pages_render_the_service_s_figures(client, db, people):
    w = seed(db)
    sign_in(client, db, people.rep)
    page = client.get("/content/insights")
    assert page.status_code == 200
    assert "Influence on won revenue" in page.text and "Pricing" in page.text
    assert "too few deals" in page.text  # two won deals never read as proof
    assert "Old deck" in page.text  # archived assets keep their influence
    gaps = client.get("/content/gaps?by_product=true")
    assert gaps.status_code == 200 and "decision" in gaps.text
    data = client.get("/api/v1/content/insights", headers=token_for(db, people.rep)).json()
    pricing = next(r for r in data["influence"]["rows"] if r["asset_id"] == w["pricing"].id)
    assert pricing["credits"]["first_touch"] == "30000.00"
    assert data["influence"]["unknown_amount"] == 1


def test_api_influence_by_group_and_bad_group(client, db, people):
    seed(db)
    headers = token_for(db, people.marketer)
    by_type = client.get("/api/v1/content/influence?by=journey_stage", headers=headers).json()
    assert {r["key"] for r in by_type["rows"]} == {"decision", "awareness"}
    bad = client.get("/api/v1/content/influence?by=colour", headers=headers)
    assert bad.status_code == 422 and "journey_stage" in bad.text


def test_suggestions_follow_the_record_s_owner(client, db, people):
    w = seed(db)
    w["lead"].owner_id = people.rep.id
    db.flush()
    mine = client.get(
        f"/api/v1/content/suggest/contacts/{w['lead'].id}", headers=token_for(db, people.rep)
    )
    assert mine.status_code == 200
    assert [s["title"] for s in mine.json()["seen"]] == ["Pricing"]
    theirs = client.get(
        f"/api/v1/content/suggest/contacts/{w['lead'].id}",
        headers=token_for(db, people.other_rep),
    )
    assert theirs.status_code == 403
    deal = client.get(
        f"/api/v1/content/suggest/deals/{w['unknown'].id}", headers=token_for(db, people.admin)
    )
    assert deal.status_code == 200 and {s["title"] for s in deal.json()["seen"]} == {
        "Pricing",
        "Guide",
    }


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(cli, ["init"]).exit_code == 0
    with Session(create_engine(url)) as db:
        w = seed(db)
        ids = {k: v.id for k, v in w.items()}
        db.commit()
    return ids


def test_cli_influence_gaps_and_suggest(workspace):
    out = runner.invoke(cli, ["content", "influence", "--format", "json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["won_deals"] == 2 and report["unknown_amount"] == 1
    text = runner.invoke(cli, ["content", "influence", "--by", "persona"])
    assert text.exit_code == 0 and "cfo" in text.stdout
    gaps = json.loads(runner.invoke(cli, ["content", "gaps", "--format", "json"]).stdout)
    assert gaps["cells"][0]["rating"] in ("none", "thin")
    lead = workspace["lead"]
    suggested = runner.invoke(
        cli, ["content", "suggest", "--contact", str(lead), "--format", "json"]
    )
    assert suggested.exit_code == 0, suggested.output
    assert json.loads(suggested.stdout)["contact_id"] == lead
    backtest = runner.invoke(cli, ["content", "suggest", "--backtest"])
    assert backtest.exit_code in (0, 1)  # two won deals: a backtest may refuse, in one line
    neither = runner.invoke(cli, ["content", "suggest"])
    assert neither.exit_code == 1 and "exactly one" in neither.output
