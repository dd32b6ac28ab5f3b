"""Shared fixtures for the scoring tests."""

from __future__ import annotations

import pytest

from tandem.scoring.loader import load_model
from tandem.scoring.model import ScoringModel

from .scoring_support import EXAMPLE
from .store_support import Role, person


@pytest.fixture(scope="session")
def default_model() -> ScoringModel:
    return load_model(EXAMPLE)


@pytest.fixture
def marketer(db):
    return person(db, Role.MARKETER, "Mia Marketer")


@pytest.fixture
def sales_manager(db):
    return person(db, Role.SALES_MANAGER, "Sam Manager")
