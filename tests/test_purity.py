"""Pure cores import no storage, web or CLI code, so the library, API and CLI can all reuse them."""

import subprocess
import sys

import pytest

PURE_MODULES = [
    "tandem.lifecycle.stages",
    "tandem.activities.types",
    "tandem.activities.channels",
    "tandem.demo.generate",
]
FORBIDDEN = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "typer",
    "alembic",
    "psycopg",
    "tandem.db",
    "tandem.web",
)


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_imports_nothing_impure(module):
    code = (
        f"import sys, {module}\n"
        f"forbidden = {FORBIDDEN!r}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in forbidden or m in forbidden)\n"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "", f"{module} pulls in {out.strip()}"
