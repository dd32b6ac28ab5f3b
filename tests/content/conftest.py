"""People and assets for the content tests."""

from types import SimpleNamespace

import pytest

from tandem.auth import service as auth
from tandem.auth.roles import Role
from tandem.web.csrf import CSRF_COOKIE
from tests import factories as f
from tests.auth.people import sign_in


@pytest.fixture
def people(db):
    return SimpleNamespace(
        marketer=f.user(db, role=Role.MARKETER, name="Mia Marketer"),
        rep=f.user(db, role=Role.SALES_REP, name="Rae Rep"),
        other_rep=f.user(db, role=Role.SALES_REP, name="Otto Rep"),
        manager=f.user(db, role=Role.SALES_MANAGER, name="Max Manager"),
        admin=f.user(db, role=Role.ADMIN, name="Ada Admin"),
    )


def token_for(db, user) -> dict[str, str]:
    """Authorization headers with a fresh API token of `user`."""
    _, plain = auth.create_api_token(db_session=db, user=user, name=f"t{user.id}")
    db.flush()
    return {"Authorization": f"Bearer {plain}"}


def browser(client, db, user):
    """`client` signed in as `user`, with the CSRF token for forms."""
    sign_in(client, db, user)
    client.get("/content")
    return client.cookies.get(CSRF_COOKIE)


@pytest.fixture
def live_asset(db, people):
    return f.asset(db, title="Pricing Battlecard", type="battlecard", journey_stage="decision",
                   personas=["sales_leader"], url="https://example.com/battlecard",
                   owner_id=people.marketer.id)  # fmt: skip
