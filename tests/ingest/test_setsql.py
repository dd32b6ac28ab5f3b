"""Set-based reads and inserts (`ingest.setsql`) on both backends: a key list bound as one JSON
parameter finds exactly its rows whatever the keys hold; an insert whose rows share some values
(bound once on PostgreSQL) stores every row's own values."""

from datetime import UTC, datetime, timedelta
from itertools import count

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tandem.activities.models import Activity
from tandem.contacts.models import Contact
from tandem.ingest import setsql
from tandem.ingest.setsql import Sql
from tandem.ingest.store import ACTIVITIES

CONTACTS = Contact.__table__
AT = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
# Keys JSON must escape, and ones an array literal would split or quote.
ODD_EMAILS = ['o"neil@x.io', "a,b@x.io", "back\\slash@x.io", "ünï@x.io", "{brace}@x.io"]


def _contacts(db, emails):
    people = [Contact(email=e, created_at=AT, updated_at=AT) for e in emails]
    db.add_all(people)
    db.flush()
    return {p.email: p.id for p in people}


def test_a_key_list_finds_exactly_its_rows_whatever_the_keys_hold(db):
    ids = _contacts(db, [*ODD_EMAILS, "plain@x.io"])
    sql = Sql(db.connection())
    asked = [*ODD_EMAILS, "nobody@x.io"]
    found = sql.select(CONTACTS, ["email", "id"], "email", asked)
    assert dict(found.iter_rows()) == {e: ids[e] for e in ODD_EMAILS}
    assert sql.select(CONTACTS, ["email", "id"], "email", []).height == 0


def _rows(db, keys):
    query = select(
        Activity.idempotency_key, Activity.contact_id, Activity.type, Activity.occurred_at,
        Activity.received_at, Activity.url,
    ).where(Activity.idempotency_key.in_(keys))  # fmt: skip
    return {r[0]: tuple(r[1:]) for r in db.execute(query)}


def _utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite reads naive


def test_rows_sharing_some_values_each_store_their_own(db):
    ids = _contacts(db, ["one@x.io", "two@x.io"])
    moments = [AT + timedelta(minutes=i, microseconds=7 * i) for i in range(5)]
    frame = pl.DataFrame(
        {
            "idempotency_key": [f"k{i}" for i in range(5)],
            "contact_id": [ids["one@x.io"]] * 4 + [ids["two@x.io"]],  # varies
            "type": ["web_visit"] * 5,  # shared
            "occurred_at": moments,  # varies
            "received_at": [AT] * 5,  # shared
            "url": ["https://x.io/a"] * 5,  # shared
            "properties": ["{}"] * 5,  # shared
        }
    )
    stored = Sql(db.connection()).insert_new(ACTIVITIES, frame, ["idempotency_key"])
    assert stored["idempotency_key"].to_list() == [f"k{i}" for i in range(5)]
    rows = _rows(db, [f"k{i}" for i in range(5)])
    for i in range(5):
        contact, kind, occurred, received, url = rows[f"k{i}"]
        assert contact == (ids["two@x.io"] if i == 4 else ids["one@x.io"])
        assert (kind, url) == ("web_visit", "https://x.io/a")
        assert (_utc(occurred), _utc(received)) == (moments[i], AT)


def test_a_single_row_and_a_repeated_key_are_stored_once(db):
    ids = _contacts(db, ["solo@x.io"])
    sql = Sql(db.connection())
    one = pl.DataFrame(
        {
            "idempotency_key": ["solo"],
            "contact_id": [ids["solo@x.io"]],
            "type": ["email_open"],
            "occurred_at": [AT],
            "received_at": [AT],
            "properties": ["{}"],
        }  # fmt: skip
    )
    assert sql.insert_new(ACTIVITIES, one, ["idempotency_key"]).height == 1
    again = pl.concat([one, one.with_columns(pl.lit("solo-2").alias("idempotency_key"))])
    stored = sql.insert_new(ACTIVITIES, again, ["idempotency_key"])
    assert stored["idempotency_key"].to_list() == ["solo-2"]  # the stored key is not again
    assert set(_rows(db, ["solo", "solo-2"])) == {"solo", "solo-2"}


EXAMPLES = count()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.integers(0, 400),
    per=st.sampled_from([8, 16, 960]),  # 1, 2 and 120 rows to a statement: remainders too
    stored_before=st.sets(st.integers(0, 399), max_size=5),
    loading=st.booleans(),
)
def test_a_locked_insert_stores_every_row_with_ids_in_row_order(
    db, monkeypatch, n, per, stored_before, loading
):
    """SQLite's write-locked insert (many rows to a statement, the rest one by one; a big
    load's too, in contact order): every new row stored with its own values, ids given in the
    order the rows went in, keys stored before skipped."""
    monkeypatch.setattr(setsql, "SQLITE_VALUES_PER_STATEMENT", per)
    tag = f"e{next(EXAMPLES)}-"  # the same database holds every example's rows
    ids = _contacts(db, [f"{tag}{i}@x.io" for i in range(3)])
    people = sorted(ids.values())
    frame = pl.DataFrame(
        {
            "idempotency_key": [f"{tag}{i}" for i in range(n)],
            "contact_id": [people[(i * 7) % 3] for i in range(n)],
            "type": ["web_visit"] * n,
            "occurred_at": [AT + timedelta(seconds=i) for i in range(n)],
            "received_at": [AT] * n,
            "url": [f"https://x.io/{i}" for i in range(n)],
            "properties": ["{}"] * n,
        },
        schema_overrides={"occurred_at": pl.Datetime("us", "UTC")},
    )
    sql = Sql(db.connection())
    old = frame.filter(pl.col("idempotency_key").is_in([f"{tag}{i}" for i in stored_before]))
    sql.insert_new(ACTIVITIES, old, ["idempotency_key"], exclusive=True)
    new = frame.filter(~pl.col("idempotency_key").is_in(old["idempotency_key"].implode()))
    if loading:
        back = sql.load_new(
            ACTIVITIES, new, "idempotency_key", ("contact_id",), parent="contact_id"
        )
    else:
        back = sql.insert_new(ACTIVITIES, frame, ["idempotency_key"], exclusive=True)
    assert sorted(back["idempotency_key"].to_list()) == sorted(new["idempotency_key"].to_list())
    stored = _rows(db, frame["idempotency_key"].to_list())
    by_id = dict(db.execute(select(Activity.idempotency_key, Activity.id)).all())
    assert [by_id[k] for k in back["idempotency_key"]] == back["id"].to_list()
    assert back["id"].is_sorted()
    for i, key in enumerate(frame["idempotency_key"]):
        contact, kind, occurred, received, url = stored[key]
        assert (contact, kind, url) == (people[(i * 7) % 3], "web_visit", f"https://x.io/{i}")
        assert (_utc(occurred), _utc(received)) == (AT + timedelta(seconds=i), AT)
