"""`tandem scoring ...` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tandem.scoring.cli import app
from tandem.scoring.model import json_schema

from .scoring_support import EXAMPLE

runner = CliRunner()
BAD = """\
name: bad
version: 1
mql: {total: 10}
grades: {A: 30, B: 20, C: 10}
fit_rules:
  - {id: a, field: contact.title, op: regex, pattern: "(vp", points: 5}
behaviour_rules:
  - {id: b, activity_type: page_veiw, points: 1}
  - {id: c, activity_type: page_view, points: 0}
"""


def test_validate_clean_model_exits_0() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output


def test_validate_reports_file_line_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}:6: error: bad regex '(vp'" in result.output
    assert f"{path}:8: error: unknown activity type 'page_veiw'; did you mean 'page_view'?" in (
        result.output
    )
    assert f"{path}:9: warning: rule 'c' gives 0 points" in result.output


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "warn.yaml"
    path.write_text(
        "name: w\nversion: 1\nmql: {total: 10}\ngrades: {A: 30, B: 20, C: 10}\n"
        "fit_rules:\n  - {id: a, field: contact.nede, op: exists, points: 40}\n"
    )
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}:6: warning: unknown field 'contact.nede'" in result.output
    assert "error:" not in result.output


def test_validate_missing_file_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "cannot read file" in result.output


def test_schema_prints_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0 and json.loads(result.output) == json_schema()


def _facts(tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    path.write_text(
        json.dumps(
            {
                "contact_id": 7,
                "fields": {"contact.job_level": "vp", "account.is_target": True},
                "activities": [
                    {"activity_type": "demo_request", "occurred_at": "2024-05-31T12:00:00Z"},
                    {
                        "activity_type": "page_view",
                        "occurred_at": "2024-05-31T12:05:00",
                        "url": "https://x.io/pricing",
                    },
                ],
                "as_of": "2024-06-01T00:00:00+00:00",
            }
        )
    )
    return path


def test_score_prints_the_explained_score(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", str(EXAMPLE), str(_facts(tmp_path))])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["contact_id"] == 7
    assert round(sum(p["points"] for p in data["parts"]), 2) == data["total"]
    assert {p["rule_id"] for p in data["parts"]} >= {"senior_buyer", "demo_request"}


def test_explain_prints_a_table(tmp_path: Path) -> None:
    facts = _facts(tmp_path)
    result = runner.invoke(app, ["explain", str(EXAMPLE), str(facts), "--as-of", "2024-07-01"])
    assert result.exit_code == 0, result.output
    assert "demo_request" in result.output and "grade" in result.output
