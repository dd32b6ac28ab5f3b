"""Pure cores import no storage, web or CLI code, so the library, API and CLI can all reuse them.

The modules are the ones each capability's manifest declares pure (`tandem.capabilities`).
"""

import subprocess
import sys

import pytest

from tandem.capabilities import each

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
DECLARED = {capability.name: modules for capability, modules in each("pure")}


def test_capabilities_declare_their_pure_cores():
    assert {"lifecycle", "analytics", "goals", "demo", "records"} <= set(DECLARED)


@pytest.mark.parametrize("capability", sorted(DECLARED))
def test_pure_modules_import_nothing_impure(capability):
    # One interpreter per capability: each import of Polars costs seconds on a busy machine.
    modules = DECLARED[capability]
    code = (
        f"import sys, {', '.join(modules)}\n"
        f"forbidden = {FORBIDDEN!r}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in forbidden or m in forbidden)\n"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "", f"{capability}'s pure modules pull in {out.strip()}"
