"""Every link a role is shown in the menus answers 200 for that role, with routing and SLA
approved as definitions (as `make demo` leaves them): no menu item leads to a 403 or a 503."""

import re

import pytest

from tandem.auth.roles import Role
from tests import factories as f

from .conftest import mql, tick
from .test_pages import signed_in

NAV = re.compile(r"<nav[^>]*>(.*?)</nav>", re.S)
HREF = re.compile(r'href="(/[^"#?]*)')


def _menu_links(html: str) -> set[str]:
    return {h for block in NAV.findall(html) for h in HREF.findall(block)}


@pytest.mark.parametrize("role", list(Role))
def test_every_menu_link_answers_200_for_the_role_shown_it(client, db, people, config, role):
    lead = mql(db, first_name="Queued")
    tick(db, config, 0)  # a lead in Ann's queue: the rep's menu leads somewhere with content
    user = {
        Role.SALES_REP: people.ann,
        Role.SALES_MANAGER: people.boss,
        Role.MARKETER: people.mia,
    }.get(role) or f.user(db, role=role)
    signed_in(client, user)
    seen, todo = set(), {"/", "/handoff"}
    while todo:
        path = todo.pop()
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, (role, path, response.status_code)
        todo |= _menu_links(response.text) - seen
    assert ("/handoff/queue" in seen) == (role in (Role.SALES_REP, Role.SALES_MANAGER))
    assert ("/handoff/board" in seen) == (role in (Role.ADMIN, Role.SALES_MANAGER, Role.EXECUTIVE))
    if role is Role.SALES_REP:
        assert f"/handoff/leads/{lead.id}" in client.get("/handoff/queue").text
