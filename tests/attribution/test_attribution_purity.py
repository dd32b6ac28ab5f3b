"""The attribution core stays pure: no storage, web or CLI imports, no hidden clock.

The adapters beside it (queries, services, pages, API, CLI) are listed in ADAPTERS; importing
the package must load none of them.
"""

import ast
import subprocess
import sys
from pathlib import Path

import tandem.attribution

PACKAGE = Path(tandem.attribution.__file__).parent
ALLOWED_THIRD_PARTY = {"numpy", "polars", "pydantic", "scipy", "yaml"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}
ADAPTERS = {
    "access.py",
    "api.py",
    "chart.py",
    "credit_rows.py",
    "cli.py",
    "pages.py",
    "lookups.py",
    "manifest.py",
    "models.py",
    "query.py",
    "report.py",
    "retrospective.py",
    "schemas.py",
    "service.py",
    "stage_counter.py",
    "store.py",
}


def modules():
    return sorted(p for p in PACKAGE.glob("*.py") if p.name not in ADAPTERS)


def test_imports_are_stdlib_science_or_attribution_only():
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found = [node.module or ""]
            else:
                continue
            for name in found:
                top = name.split(".")[0]
                ok = (
                    name.startswith("tandem.attribution")
                    or name == "tandem.yaml_source"  # YAML with lines, shared and pure
                    or top in ALLOWED_THIRD_PARTY
                    or top in sys.stdlib_module_names
                )
                assert ok, f"{path.name} imports {name}"


def test_no_hidden_clock_or_randomness_without_a_seed():
    for path in modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in CLOCK_CALLS, f"{path.name} reads the clock"
                if node.func.attr == "default_rng":
                    assert node.args, f"{path.name} creates an unseeded generator"


def test_importing_the_package_loads_no_storage_web_or_cli_module():
    code = (
        "import sys, tandem.attribution; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'typer', 'starlette', 'alembic', 'psycopg', 'httpx') "
        "or (m.startswith('tandem.') and not m.startswith('tandem.attribution') "
        "and m != 'tandem.yaml_source') "
        f"or m.removeprefix('tandem.attribution.') + '.py' in {sorted(ADAPTERS)!r}]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
