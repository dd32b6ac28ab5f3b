"""The search box: what it finds, what it hides from a rep, what it refuses, and that a
contact is found through an index, not a scan."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.auth.roles import Role
from tandem.search.terms import MAX_QUERY, BadQuery, parse
from tests import factories as f
from tests.web.test_pages import login


@pytest.fixture
def world(db):
    rep = f.user(db, role=Role.SALES_REP, name="Rita Rep")
    other = f.user(db, role=Role.SALES_REP, name="Otto Rep")
    manager = f.user(db, role=Role.SALES_MANAGER, name="Mia Manager")
    lumen = f.account(db, name="Lumen Health", domain="lumen-health.example", owner_id=rep.id)
    orbit = f.account(db, name="Orbit Logistics", domain="orbit.example", owner_id=other.id)
    ada = f.contact(
        db, first_name="Ada", last_name="Lovelace", email="ada@lumen-health.example",
        account_id=lumen.id, owner_id=rep.id,
    )  # fmt: skip
    alan = f.contact(
        db, first_name="Alan", last_name="Turing", email="alan.t@orbit.example",
        account_id=orbit.id, owner_id=other.id,
    )  # fmt: skip
    mine = f.opportunity(db, lumen, name="Lumen Health renewal", owner_id=rep.id)
    theirs = f.opportunity(db, orbit, name="Orbit Health pilot", owner_id=other.id)
    spring = f.campaign(db, name="Spring Health Webinar", channel="webinar")
    guide = f.asset(db, title="The Health Check Guide", journey_stage="decision", type="guide")
    db.flush()
    return {
        "rep": rep, "other": other, "manager": manager, "lumen": lumen, "orbit": orbit,
        "ada": ada, "alan": alan, "mine": mine, "theirs": theirs, "spring": spring, "guide": guide,
    }  # fmt: skip


def found(client, q, **params):
    response = client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return {(h["kind"], h["label"]) for g in response.json()["groups"] for h in g["hits"]}


def test_contacts_are_found_by_the_start_of_their_email_first_or_last_name(client, world):
    login(client, world["manager"].email)
    for q in ("ada@lumen", "ADA", "love", "Ada Lovelace", "  ada   lovelace "):
        assert ("contact", "Ada Lovelace") in found(client, q), q
    assert ("contact", "Ada Lovelace") not in found(client, "lace")  # a prefix, not a substring
    assert ("contact", "Ada Lovelace") not in found(client, "ada turing")


def test_accounts_and_deals_by_the_start_of_their_name_campaigns_by_any_part(client, world):
    login(client, world["manager"].email)
    assert found(client, "lumen h") == {
        ("account", "Lumen Health"),
        ("deal", "Lumen Health renewal"),
    }
    assert found(client, "orbit") == {
        ("account", "Orbit Logistics"),
        ("deal", "Orbit Health pilot"),
    }
    assert found(client, "orbit.exam") == {("account", "Orbit Logistics")}  # by domain
    assert found(client, "health") == {
        ("campaign", "Spring Health Webinar"),
        ("asset", "The Health Check Guide"),  # the library: any part of the title
    }


def test_a_rep_finds_only_what_the_rep_may_open_and_every_link_opens(client, world):
    login(client, world["rep"].email)
    assert found(client, "a") >= {("contact", "Ada Lovelace")}
    assert ("contact", "Alan Turing") not in found(client, "alan")
    assert found(client, "lumen") == {("account", "Lumen Health"), ("deal", "Lumen Health renewal")}
    assert found(client, "orbit") == set()
    assert ("asset", "The Health Check Guide") in found(client, "check")  # the library is open
    groups = client.get("/api/v1/search", params={"q": "lumen"}).json()["groups"]
    groups += client.get("/api/v1/search", params={"q": "check"}).json()["groups"]
    urls = [h["url"] for g in groups for h in g["hits"]]
    assert urls and all(client.get(url).status_code == 200 for url in urls), urls


def test_the_page_lists_each_kind_and_says_when_nothing_matches(client, world):
    login(client, world["rep"].email)
    page = client.get("/search", params={"q": "lumen"})
    assert page.status_code == 200
    assert (
        'data-kind="account"' in page.text and f'href="/accounts/{world["lumen"].id}"' in page.text
    )
    assert f'href="/contacts/{world["alan"].id}"' not in client.get("/search?q=alan").text
    empty = client.get("/search", params={"q": "zzz-nothing"})
    assert empty.status_code == 200 and "Nothing you may open matches" in empty.text


def test_wildcards_are_taken_literally(client, world):
    login(client, world["manager"].email)
    assert found(client, "%") == set() and found(client, "_") == set()
    assert found(client, "lumen%health") == set()


@pytest.mark.parametrize(
    ("q", "said"), [("", "type a name"), ("   ", "type a name"), ("x" * 101, "at most 100")]
)
def test_an_empty_or_too_long_query_is_refused_with_the_reason(client, world, q, said):
    login(client, world["rep"].email)
    api = client.get("/api/v1/search", params={"q": q})
    assert api.status_code == 422 and said in api.text
    if q.strip():
        page = client.get("/search", params={"q": q})
        assert page.status_code == 422 and said in page.text and "<nav>" in page.text
    assert client.get("/api/v1/search", params={"q": "x" * 401}).status_code == 422
    assert client.get("/api/v1/search", params={"q": "ada", "limit": 0}).status_code == 422


def test_signed_out_search_is_refused(client, world):
    assert client.get("/api/v1/search", params={"q": "ada"}).status_code == 401
    assert client.get("/search", params={"q": "ada"}, follow_redirects=False).status_code in (
        303,
        307,
    )


@given(st.text(max_size=120))
def test_parse_bounds_and_normalises_any_text(raw):
    try:
        terms = parse(raw)
    except BadQuery:
        assert not raw.split() or len(" ".join(raw.lower().split())) > MAX_QUERY
    else:
        assert terms.text == " ".join(raw.lower().split()) and 0 < len(terms.text) <= MAX_QUERY
        assert terms.words == tuple(terms.text.split(" "))


def test_contacts_are_found_through_indexes_not_a_scan(db, world):
    from tandem.search.service import _accounts, _contacts

    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("the plan is read on SQLite")

    def plan(statement):
        sql = str(
            statement.limit(11).compile(db.get_bind(), compile_kwargs={"literal_binds": True})
        )
        rows = db.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        return " ".join(row[-1] for row in rows)

    plans = [
        plan(s)
        for build in (_contacts, _accounts)
        for s in build(parse("ada lovelace"), None)  # everything visible: the widest reads
    ]
    used = [
        "ix_contacts_last_name_lower",
        "ix_contacts_last_name_lower",
        "ix_contacts_first_name_lower",
        "sqlite_autoindex_contacts",
        "ix_accounts_name_lower",
        "sqlite_autoindex_accounts",
    ]  # fmt: skip (deals read ix_opportunities_name_lower once the table is not tiny: bench)
    assert len(plans) == len(used)
    for found_plan, index in zip(plans, used, strict=True):
        assert f"USING INDEX {index}" in found_plan and "TEMP B-TREE" not in found_plan, found_plan
