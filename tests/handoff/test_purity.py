"""The handoff cores stay pure: no storage, web or CLI imports, and no hidden clock."""

import ast
from pathlib import Path

import pytest

import tandem.handoff

PACKAGE = Path(tandem.handoff.__file__).parent
# The adapters around the cores: files, storage, web, CLI, email, the scheduler. Every other
# module (a new one included, unless listed here on purpose) must be pure.
ADAPTERS = {
    "cli.py", "loader.py", "models.py", "runtime.py", "scores.py", "definitions.py", "assign.py",
    "clocks.py", "intake.py", "escalate.py", "notify.py", "mail.py", "tick.py",
    "scheduler.py", "packet.py", "service.py", "queue.py", "reports.py", "reps.py",
    "schemas.py", "deps.py", "api.py", "pages.py", "ops_cli.py", "manifest.py", "access.py",
    "account_intake.py", "account_packet.py", "account_scores.py", "account_service.py",
    "account_routes.py", "facts.py", "definition_preview.py", "notify_done.py",
}  # fmt: skip
PURE = sorted(p for p in PACKAGE.glob("*.py") if p.name not in ADAPTERS)
FORBIDDEN_MODULES = (
    "sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "httpx", "requests", "typer",
    "click", "rich", "os", "pathlib", "time", "random", "socket", "subprocess",
    "tandem.db", "tandem.web", "tandem.api", "tandem.cli",
)  # fmt: skip
HIDDEN_CLOCKS = ("now", "utcnow", "today")


def imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("path", PURE, ids=lambda p: p.name)
def test_pure_module_imports_nothing_impure(path):
    tree = ast.parse(path.read_text())
    bad = [
        m for m in imports(tree) if any(m == f or m.startswith(f + ".") for f in FORBIDDEN_MODULES)
    ]
    assert bad == []


@pytest.mark.parametrize("path", PURE, ids=lambda p: p.name)
def test_pure_module_never_reads_the_clock(path):
    tree = ast.parse(path.read_text())
    calls = [
        n.func.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in HIDDEN_CLOCKS
    ]
    assert calls == []


def test_the_guard_would_catch_a_violation():
    tree = ast.parse("import sqlalchemy.orm\nfrom datetime import datetime\nx = datetime.now()\n")
    assert "sqlalchemy.orm" in list(imports(tree))
    assert any(isinstance(n, ast.Attribute) and n.attr == "now" for n in ast.walk(tree))


def test_loader_reads_files_but_touches_no_storage_or_web():
    tree = ast.parse((PACKAGE / "loader.py").read_text())
    assert not [m for m in imports(tree) if m.split(".")[0] in {"sqlalchemy", "fastapi", "typer"}]


def test_the_pure_list_is_what_we_expect():
    assert {p.name for p in PURE} == {
        "__init__.py", "calendar.py", "calendar_reference.py", "clock_sets.py", "commitments.py",
        "match_sets.py", "metrics.py", "relation.py",
        "next_step.py", "reasons.py", "routing.py", "routing_rules.py", "sla.py",
        "sla_rules.py", "source.py", "validation.py",
    }  # fmt: skip
