"""Contracts with the rest of Tandem: schema file current, docs complete, cores pure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tandem.scoring import model as model_module
from tandem.scoring.fields import KNOWN_FIELDS
from tandem.scoring.model import SCHEMA_FILE, json_schema

from .scoring_support import ROOT

SCHEMA_PATH = Path(model_module.__file__).with_name(SCHEMA_FILE)
DOCS = ROOT / "docs" / "scoring.md"


def test_json_schema_file_is_current() -> None:
    stored = json.loads(SCHEMA_PATH.read_text())
    assert stored == json_schema(), (
        "regenerate: python -m tandem.scoring.cli schema > src/tandem/scoring/" + SCHEMA_FILE
    )


def _schema_fields() -> set[str]:
    names: set[str] = set()
    for definition in [json_schema(), *json_schema()["$defs"].values()]:  # type: ignore[union-attr]
        names.update(definition.get("properties", {}))  # type: ignore[union-attr]
    return names


def test_every_model_field_and_known_field_is_documented() -> None:
    text = DOCS.read_text()
    missing = sorted(n for n in _schema_fields() | set(KNOWN_FIELDS) if f"`{n}`" not in text)
    assert not missing, f"document these in docs/scoring.md: {missing}"


def test_every_cli_command_is_documented() -> None:
    from tandem.scoring.cli import app

    text = DOCS.read_text()
    for command in app.registered_commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        assert f"tandem scoring {name}" in text


PURE = [
    "model",
    "loader",
    "validate",
    "engine",
    "match",
    "facts",
    "rescore",
    "backtest",
    "predictive",
    "diff",
    "backtest_report",
    "tabular",
    "features",
    "grid",
    "scorecard",
]
FORBIDDEN = ["sqlalchemy", "fastapi", "typer", "httpx", "tandem.db", "tandem.web", "tandem.cli"]


def test_pure_modules_import_no_storage_web_or_cli() -> None:
    code = (
        "import sys\n"
        + "".join(f"import tandem.scoring.{m}\n" for m in PURE)
        + f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}"
        + f" or any(m.startswith(p) for p in {FORBIDDEN!r})]\n"
        + "print(','.join(bad))\n"
    )
    env_path = str(ROOT / "src")
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": env_path, "PATH": ""},
    )
    assert out.stdout.strip() == ""
