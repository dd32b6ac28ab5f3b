"""Shared fixtures for the scoring tests."""

from __future__ import annotations

import pytest

from tandem.scoring.loader import load_model
from tandem.scoring.model import ScoringModel

from .scoring_support import EXAMPLE


@pytest.fixture(scope="session")
def default_model() -> ScoringModel:
    return load_model(EXAMPLE)
