"""Fixtures for the definitions tests: the users the test routing names, and one of each role
that proposes, approves or may not."""

import pytest

from tandem.auth.roles import Role
from tests import factories as f


@pytest.fixture
def team(db):
    """The routing's reps (ann, bob) and manager (boss), an admin, a marketer and a rep."""
    for email in ("ann@example.com", "bob@example.com"):
        f.user(db, Role.SALES_REP, email=email)
    return {
        "manager": f.user(db, Role.SALES_MANAGER, email="boss@example.com"),
        "admin": f.user(db, Role.ADMIN, email="ops@example.com"),
        "marketer": f.user(db, Role.MARKETER, email="mia@example.com"),
        "rep": f.user(db, Role.SALES_REP, email="rep@example.com"),
    }
