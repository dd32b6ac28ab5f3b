"""Helpers shared by the scoring tests (imported by module name: pytest puts this folder on
sys.path)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from tandem.scoring.model import ScoringModel

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "scoring" / "default.yaml"
AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
# TANDEM_HYPOTHESIS_SCALE=20 runs 20x the examples (a deeper run than the default fast suite).
SCALE = int(os.environ.get("TANDEM_HYPOTHESIS_SCALE", "1"))


def make_model(**overrides: object) -> ScoringModel:
    """A minimal valid model with the given top-level fields replaced."""
    data: dict[str, object] = {
        "name": "test",
        "version": 1,
        "mql": {"total": 10},
        "grades": {"A": 30, "B": 20, "C": 10},
    }
    data.update(overrides)
    return ScoringModel.model_validate(data)
