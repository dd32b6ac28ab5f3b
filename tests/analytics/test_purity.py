"""The scorecard's maths imports no storage, web or CLI code (see tests/test_purity.py)."""

import subprocess
import sys

from tests.test_purity import FORBIDDEN

PURE = [
    "tandem.analytics.periods",
    "tandem.analytics.dims",
    "tandem.analytics.frames",
    "tandem.analytics.funnel",
    "tandem.analytics.velocity",
    "tandem.analytics.pipeline",
    "tandem.analytics.handoff",
    "tandem.analytics.ltv",
    "tandem.analytics.gaps",
    "tandem.analytics.charts",
    "tandem.analytics.svg",
    "tandem.goals.pace",
    "tandem.goals.metrics",
]


def test_pure_modules_import_nothing_impure():
    # One interpreter for all of them: each import of Polars costs seconds on a busy machine.
    code = (
        f"import sys, {', '.join(PURE)}\n"
        f"forbidden = {FORBIDDEN!r}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in forbidden or m in forbidden)\n"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "", f"the scorecard's pure modules pull in {out.strip()}"
