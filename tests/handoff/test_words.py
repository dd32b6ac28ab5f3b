"""Consistent words: pages show channels, segments, regions, roles, stages and statuses with
their labels, never a stored value such as `organic_search` or `sales_rep`, and never
"a executive". Each role follows the links of its pages (as the crawl does) and every page's
visible text is read."""

import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag

import pytest

from tandem.auth.roles import Role
from tandem.web.templating import article, format_money, label
from tests import factories as f
from tests.analytics.conftest import seed_world
from tests.handoff.test_crawl import HREF, SKIP, _kind
from tests.web.test_pages import login

#: A stored value: lower-case words joined by underscores.
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
A_VOWEL = re.compile(r"\ba (?:executive|admin|account|email|MQL|SQL|SAL)\b")
MAX_PAGES, PER_KIND = 80, 1


class VisibleText(HTMLParser):
    """The text a person reads: not scripts, styles, code, or attribute values."""

    HIDDEN = {"script", "style", "code", "pre", "textarea"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SALES_REP, Role.MARKETER])
def test_no_page_shows_a_stored_value_or_a_wrong_article(db, client, config, role):
    seed_world(db)
    user = f.user(db, role=role, name="Robin Person")
    db.flush()
    assert login(client, user.email).status_code == 303
    seen, kinds, found = {"/"}, Counter(), {}
    queue = deque(["/"])
    while queue and len(seen) <= MAX_PAGES:
        path = queue.popleft()
        answer = client.get(path)
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        text = visible(answer.text)
        words = set(SNAKE.findall(text)) | set(A_VOWEL.findall(text))
        if words:
            found[path] = sorted(words)
        for href in HREF.findall(answer.text):
            link = urldefrag(href.replace("&amp;", "&"))[0]
            if not link.startswith("/") or link.startswith("//") or SKIP.search(link):
                continue
            if link in seen or kinds[_kind(link)] >= PER_KIND:
                continue
            kinds[_kind(link)] += 1
            seen.add(link)
            queue.append(link)
    assert len(seen) > 15
    assert found == {}


@pytest.mark.parametrize(
    "value,shown",
    [
        ("organic_search", "Organic search"),
        ("mid_market", "Mid-market"),
        ("emea", "EMEA"),
        ("sales_rep", "Sales rep"),
        ("mql", "MQL"),
        (None, ""),
    ],
)
def test_labels(value, shown):
    assert label(value) == shown


@pytest.mark.parametrize(
    "value,shown",
    [
        ("executive", "an executive"),
        ("admin", "an admin"),
        ("sales_manager", "a sales manager"),
        ("mql", "an MQL"),
        ("pql", "a PQL"),
    ],
)
def test_articles(value, shown):
    assert article(value) == shown


@pytest.mark.parametrize(
    "amount,currency,shown",
    [
        (1234567.4, "USD", "$1,234,567"),
        (-50, "EUR", "-€50"),
        (900, "CHF", "900 CHF"),
        (None, "GBP", "£0"),
    ],
)
def test_money(amount, currency, shown):
    assert format_money(amount, currency) == shown
