"""`tandem metrics list|show|records` on a real database file, and its bad-input answers."""

import csv
import io
import json

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tandem.cli.main import app
from tests.analytics.conftest import seed_world

runner = CliRunner()
WINDOW = ["--from", "2026-06-01", "--to", "2026-11-30"]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "data"))
    assert runner.invoke(app, ["init"]).exit_code == 0
    with Session(create_engine(url)) as db:
        seed_world(db)
        db.commit()
    return url


def run(*args):
    return runner.invoke(app, ["metrics", *args])


def test_list_and_show_as_json(workspace):
    listed = json.loads(run("list", "--format", "json").stdout)
    names = {m["name"] for m in listed}
    assert {"reached_mql", "revenue_won", "win_rate", "speed_to_lead_hours"} <= names
    shown = json.loads(run("show", "revenue_won", *WINDOW, "--format", "json").stdout)
    assert shown["value"] == 55000 and shown["rows"] == 2
    assert shown["window"] == {
        "start": "2026-06-01",
        "last": "2026-11-30",
        "as_of": shown["window"]["as_of"],
    }
    split = json.loads(
        run("show", "revenue_won", *WINDOW, "--by", "region", "--format", "json").stdout
    )
    assert {p["value"]: p["figure"] for p in split["breakdown"]} == {"apac": 5000, "emea": 50000}
    only = json.loads(
        run("show", "reached_mql", *WINDOW, "--filter", "segment=smb", "--format", "json").stdout
    )
    assert only["value"] == 1 and only["filters"] == {"segment": "smb"}


def test_text_and_records(workspace, tmp_path):
    text = run("show", "conversion_mql_to_sal", *WINDOW)
    assert text.exit_code == 0 and "75.0%" in text.stdout and "over 4 contacts" in text.stdout
    out = tmp_path / "won.csv"
    assert run("records", "deals_won", *WINDOW, "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert sorted(float(r["amount"]) for r in rows) == [5000.0, 50000.0]
    assert all(r["closed_at"].startswith("2026-") for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "reached_mq"], "did you mean reached_mql"),
        (["show", "reached_mql", "--by", "colour"], "allowed: segment, region"),
        (["show", "reached_mql", "--filter", "channel=fax"], "values: organic_search"),
        (["show", "reached_mql", "--filter", "channel"], "write DIMENSION=VALUE"),
        (["show", "reached_mql", "--from", "2026-05-01", "--to", "2026-04-01"], "before it starts"),
        (["show", "reached_mql", "--from", "May"], "is not a date"),
        (["show", "reached_mql", "--format", "xml"], "--format must be one of text, json"),
        (["records", "nope"], "no metric called 'nope'"),
    ],
)
def test_bad_input_is_one_clear_line(workspace, args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split()), result.output
