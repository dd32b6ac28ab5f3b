"""The lists against independent answers: every sort key against a Python sort, filters
against a recount, saved views private and shared, bulk assign audited and refused per row,
CSV export equal to the filtered rows, bad input named (HTML whole page, API 422)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tandem.audit.models import AuditEvent
from tandem.contacts.models import Contact
from tandem.lifecycle.models import StageTransition
from tandem.lists import service
from tandem.lists.catalog import CONTACTS, DEALS, LISTS
from tandem.lists.spec import parse
from tests.lists import world
from tests.web.test_pages import login


def _page(db, spec, query, *, visible_to=None, viewer_id=0, size=500):
    parsed = parse(spec, [*query, ("size", str(size))])
    assert not parsed.errors, parsed.errors
    return service.read_page(
        db_session=db, spec=spec, query=parsed.query, visible_to=visible_to, viewer_id=viewer_id
    )


def _key(value, desc):
    # None last either way; the id breaks ties, ascending.
    return (value is None, value if not desc or value is None else _Rev(value))


class _Rev:
    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return self.v > other.v

    def __eq__(self, other):
        return self.v == other.v


def _norm(v):
    if isinstance(v, str):
        return v.lower()
    if isinstance(v, Decimal):
        return float(v)
    if hasattr(v, "tzinfo") and getattr(v, "tzinfo", None) is not None:
        return v.replace(tzinfo=None)
    return v


SORTABLE = [k for k in CONTACTS.keys if k != "name"]


@pytest.mark.parametrize("desc", [False, True])
def test_every_contact_sort_key_orders_rows_as_a_python_sort(db, desc):
    world.build(db)
    for key in [*SORTABLE, "name"]:
        cols = key if key != "name" else "name"
        page = _page(db, CONTACTS, [("sort", ("-" if desc else "") + key), ("cols", cols)])
        got = [i for i, _ in page.rows]
        if key == "name":  # sorted by last name, case-insensitive
            last = dict(db.execute(select(Contact.id, Contact.last_name)).all())
            values = {i: (last[i].lower() if last[i] else None) for i in got}
        else:
            values = {i: _norm(row[key]) for i, row in page.rows}
        want = sorted(got, key=lambda i: (_key(values[i], desc), i))
        assert got == want, key
        assert page.total == len(got) == db.query(Contact).count()


def test_deal_sorts_and_amount_range(db):
    w = world.build(db)
    page = _page(db, DEALS, [("sort", "-amount"), ("amount_min", "2000"), ("amount_max", "4000")])
    assert [r["amount"] for _, r in page.rows] == [Decimal(4000), Decimal(3000), Decimal(2000)]
    by_owner = _page(db, DEALS, [("owner", "Bob Rep")])
    assert {i for i, _ in by_owner.rows} == {d.id for d in w.deals if d.owner_id == w.bob.id}


def test_filters_equal_an_independent_recount(db):
    w = world.build(db)
    everyone = db.query(Contact).all()
    accounts = {a.id: a for a in w.accounts}

    def ids(query):
        return {i for i, _ in _page(db, CONTACTS, query).rows}

    assert ids([("stage", "mql"), ("stage", "sal")]) == {
        c.id for c in everyone if c.lifecycle_stage in ("mql", "sal")
    }
    assert ids([("owner", "ann rep")]) == {c.id for c in everyone if c.owner_id == w.ann.id}
    assert ids([("owner", "none")]) == {c.id for c in everyone if c.owner_id is None}
    assert ids([("region", "emea")]) == {
        c.id for c in everyone if c.account_id and accounts[c.account_id].region == "emea"
    }
    assert ids([("segment", "enterprise")]) == {
        c.id for c in everyone if c.account_id and accounts[c.account_id].employees > 1000
    }
    scored = dict(db.execute(select(Contact.id, service_score())).all())
    assert ids([("score_min", "10"), ("score_max", "30")]) == {
        i for i, s in scored.items() if s is not None and 10 <= s <= 30
    }
    today = date.today().isoformat()
    assert ids([("created_from", today), ("created_to", today)]) == {
        c.id for c in everyone if c.created_at.date() == date.today()
    }
    # A rep's view: their own, the unassigned, never another rep's.
    mine = {i for i, _ in _page(db, CONTACTS, [], visible_to=(True, w.ann.id)).rows}
    assert mine == {c.id for c in everyone if c.owner_id in (w.ann.id, None)}


def service_score():
    from tandem.scoring.models import ContactScore

    return select(ContactScore.total).where(ContactScore.contact_id == Contact.id).scalar_subquery()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    key=st.sampled_from(CONTACTS.keys),
    desc=st.booleans(),
    stage=st.sets(st.sampled_from(["lead", "mql", "sal", "sql"]), max_size=2),
    owner=st.sampled_from([None, "Ann Rep", "none", "Bob Rep"]),
    size=st.integers(1, 7),
)
def test_any_sort_and_filter_pages_through_the_filter_exactly_once(
    db, key, desc, stage, owner, size
):
    if not db.query(Contact).count():
        world.build(db)
    base = [("sort", ("-" if desc else "") + key), *(("stage", s) for s in stage)]
    if owner:
        base.append(("owner", owner))
    whole = _page(db, CONTACTS, base)
    seen = []
    for n in range(1, whole.pages * 0 + 100):
        parsed = parse(CONTACTS, [*base, ("size", str(size)), ("page", str(n))])
        page = service.read_page(
            db_session=db, spec=CONTACTS, query=parsed.query, visible_to=None, viewer_id=0
        )
        if page.page != n:
            break
        seen += [i for i, _ in page.rows]
    assert seen == [i for i, _ in whole.rows]  # every page in order, none twice


def test_bad_input_is_named_on_a_whole_page_and_a_422_in_the_api(client, db):
    w = world.build(db)
    login(client, w.boss.email)
    for query, field in [
        ("sort=password_hash", "sort"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("size=100000", "size"),
        ("salary=1", "salary"),
        ("score_min=1e308", "score_min"),
        ("score_min=nan", "score_min"),
        ("score_min=9&score_max=1", "score"),
        ("created_from=0001-01-01", "created_from"),
        ("created_from=2026-13-45", "created_from"),
        ("stage=hot", "stage"),
        ("owner=Nobody+Here", "owner"),
        ("cols=name,ssn", "cols"),
        ("stage_min=3", "stage_min"),
    ]:
        page = client.get(f"/contacts?{query}")
        assert page.status_code == 422 and "<h1>Contacts</h1>" in page.text, query
        assert f">{field}: " in page.text, (query, page.text[:200])
        api = client.get(f"/api/v1/lists/contacts?{query}")
        assert api.status_code == 422 and field in api.json()["detail"], query
    assert client.get("/api/v1/lists/nothing").status_code == 404


def test_saved_views_are_private_unless_shared(client, db):
    w = world.build(db)
    login(client, w.ann.email)
    client.get("/login")
    mine = client.post(
        "/api/v1/views",
        headers=_h(client),
        json={"list": "contacts", "name": "Mine", "query": "stage=mql"},
    )
    ours = client.post(
        "/api/v1/views",
        headers=_h(client),
        json={"list": "contacts", "name": "Ours", "query": "owner=me&sort=-score", "shared": True},
    )
    assert mine.status_code == ours.status_code == 201
    bad = client.post(
        "/api/v1/views", headers=_h(client), json={"list": "contacts", "name": "X", "query": "zz=1"}
    )
    assert bad.status_code == 422 and "query" in bad.json()["detail"]
    client.post("/logout")
    login(client, w.bob.email)
    names = {v["name"]: v for v in client.get("/api/v1/views?list=contacts").json()}
    assert set(names) == {"Ours"} and not names["Ours"]["mine"]
    assert (
        client.delete(f"/api/v1/views/{names['Ours']['id']}", headers=_h(client)).status_code == 403
    )
    assert (
        client.delete(f"/api/v1/views/{mine.json()['id']}", headers=_h(client)).status_code == 404
    )
    assert (
        "Ours</a>" in client.get("/contacts").text
        and "Mine</a>" not in client.get("/contacts").text
    )
    client.post("/logout")
    login(client, w.ann.email)
    assert (
        client.delete(f"/api/v1/views/{mine.json()['id']}", headers=_h(client)).status_code == 204
    )
    assert [v["name"] for v in client.get("/api/v1/views").json()] == ["Ours"]


def _h(client):
    return {"X-CSRF-Token": _csrf(client)}


def _csrf(client):
    client.get("/login")
    return client.cookies.get("tandem_csrf")


def test_bulk_assign_is_audited_and_a_rep_cannot_take_another_reps_rows(client, db):
    w = world.build(db)
    bobs = [c.id for c in w.contacts if c.owner_id == w.bob.id]
    free = [c.id for c in w.contacts if c.owner_id is None]
    login(client, w.ann.email)
    page = client.post(
        "/lists/contacts/bulk",
        data={
            "csrf_token": _csrf(client),
            "action": "assign",
            "owner_id": w.ann.id,
            "ids": [*bobs[:2], *free[:2]],
        },
    )
    assert page.status_code == 200 and "2 changed, 2 refused" in page.text
    db.expire_all()
    assert {db.get(Contact, i).owner_id for i in bobs} == {w.bob.id}
    assert {db.get(Contact, i).owner_id for i in free[:2]} == {w.ann.id}
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "list.assign")).all()
    assert sorted(int(e.entity_id) for e in events) == sorted(free[:2])
    assert all(e.actor_user_id == w.ann.id and e.before == {"owner_id": None} for e in events)
    # Without the CSRF token nothing happens.
    client.cookies.delete("tandem_csrf")
    refused = client.post(
        "/lists/contacts/bulk", data={"action": "assign", "owner_id": w.ann.id, "ids": bobs}
    )
    assert refused.status_code == 403


def test_manager_bulk_changes_stage_with_a_reason_over_the_whole_filter(client, db):
    w = world.build(db)
    login(client, w.boss.email)
    mqls = [c.id for c in w.contacts if c.lifecycle_stage == "mql"]
    page = client.post(
        "/lists/contacts/bulk",
        data={
            "csrf_token": _csrf(client),
            "action": "stage",
            "scope": "filter",
            "query": "stage=mql",
            "stage": "nurture",
            "reason": "not ready",
        },
    )
    assert f"{len(mqls)} changed" in page.text
    moves = db.scalars(select(StageTransition).where(StageTransition.to_stage == "nurture")).all()
    assert sorted(m.contact_id for m in moves) == sorted(mqls)
    assert {m.reason for m in moves} == {"not ready"}
    no_reason = client.post(
        "/lists/contacts/bulk",
        data={
            "csrf_token": _csrf(client),
            "action": "stage",
            "scope": "filter",
            "query": "stage=lead",
            "stage": "nurture",
            "reason": "",
        },
    )
    assert no_reason.status_code == 422 and "reason: give a reason" in no_reason.text


def test_csv_export_equals_the_filtered_rows_and_is_formula_safe(client, db):
    w = world.build(db)
    w.contacts[0].title = "=HYPERLINK(1)"
    w.contacts[0].lifecycle_stage = "mql"
    db.flush()
    login(client, w.boss.email)
    body = client.get("/lists/contacts/export.csv?stage=mql&cols=name,title,owner,score").text
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["id", "Name", "Title", "Owner", "Score"]
    want = _page(db, CONTACTS, [("stage", "mql"), ("sort", "created")])
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(i for i, _ in want.rows)
    assert [r[2] for r in rows[1:] if r[0] == str(w.contacts[0].id)] == ["'=HYPERLINK(1)"]


@pytest.mark.parametrize("name", list(LISTS))
def test_every_list_page_answers_for_a_manager_and_a_rep(client, db, name):
    w = world.build(db)
    for who in (w.boss, w.ann):
        login(client, who.email)
        page = client.get(f"{LISTS[name].path}?cols=" + ",".join(LISTS[name].keys))
        assert page.status_code == 200, page.text[-500:]
        assert "of " in page.text or "No " in page.text
        client.post("/logout")


def test_last_activity_is_sorted_by_only_within_a_narrow_filter(db, monkeypatch):
    from tandem.lists import spec as lspec

    world.build(db)
    monkeypatch.setattr(lspec, "COSTLY_ROWS", 5)
    parsed = parse(CONTACTS, [("sort", "-last_activity")])
    with pytest.raises(service.InvalidFilter) as refused:
        service.read_page(
            db_session=db, spec=CONTACTS, query=parsed.query, visible_to=None, viewer_id=0
        )
    assert refused.value.field == "sort" and "at most 5 rows" in str(refused.value)
    narrow = _page(db, CONTACTS, [("stage", "mql"), ("sort", "-last_activity")])
    assert narrow.total == 3
