"""Nothing leads nowhere: each role signs in, follows every link its menus and pages show
(breadth first, a few records of each kind), and none answers 403, 404 or 500. The handoff is
configured (this package's fixtures), as in any workspace past its first day."""

import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import pytest

from tandem.auth.roles import Role
from tests import factories as f
from tests.analytics.conftest import seed_world
from tests.web.test_pages import login

HREF = re.compile(r'href="([^"]+)"')
#: Pages a role's crawl visits at most, and links to one page (`/contacts/{id}`, one path
#: with any query) it follows.
MAX_PAGES, PER_KIND = 300, 2
#: Links that are not pages to open: sign-out, static files, downloads rendered elsewhere.
SKIP = re.compile(r"^/(logout|static/)|\.(pdf|csv)(\?|$)|^/c/")


def _kind(path: str) -> str:
    return re.sub(r"/\d+", "/{id}", urlsplit(path).path)


@pytest.mark.parametrize("role", list(Role))
def test_every_link_a_role_is_shown_opens(db, client, config, role):
    seed_world(db)
    user = f.user(db, role=role, name=f"{role.value} person")
    db.flush()
    assert login(client, user.email).status_code == 303
    seen, kinds, broken = {"/"}, Counter(), []
    queue = deque(["/"])
    while queue and len(seen) <= MAX_PAGES:
        path = queue.popleft()
        answer = client.get(path)
        if answer.status_code in (403, 404) or answer.status_code >= 500:
            broken.append((path, answer.status_code))
            continue
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        for href in HREF.findall(answer.text):
            link = urldefrag(href.replace("&amp;", "&"))[0]
            if not link.startswith("/") or link.startswith("//") or SKIP.search(link):
                continue
            kind = _kind(link)
            if link in seen or kinds[kind] >= PER_KIND:
                continue
            kinds[kind] += 1
            seen.add(link)
            queue.append(link)
    assert len(seen) > 20, seen  # the crawl reached the app, not just the login page
    assert broken == [], (role.value, broken)
