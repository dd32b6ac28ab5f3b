"""`insert_ignore` and `update_by_id` store exactly the rows they are given, on both backends.

On PostgreSQL a batch goes as one JSON parameter cast back to each column's type by the server
(`tandem.pg_rows`), so every kind of value is checked against a row-by-row expectation:
instants in any offset, dates, text of any alphabet, JSON documents (None included), booleans
left to their default; rows repeating a unique key of the batch or of the table are skipped,
ids are drawn in the order of the rows and come back in that order; an update's last row of
an id wins. Batches sent without waiting (`pipelined`, PostgreSQL's pipeline mode) have run
when read back, and a refused row fails the statement as an execute would.
"""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tandem.sql import insert_ignore, pipelined, update_by_id
from tandem.usage.models import PqlMatch
from tests import factories as f

ZONES = [
    dt.UTC,
    dt.timezone(dt.timedelta(hours=5, minutes=30)),
    dt.timezone(-dt.timedelta(hours=8)),
]
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=100
)
INSTANTS = st.datetimes(
    min_value=dt.datetime(1990, 1, 1),
    max_value=dt.datetime(2090, 1, 1),
    timezones=st.sampled_from(ZONES),
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
ROW = st.fixed_dictionaries(
    {
        "who": st.integers(0, 3),
        "rule_version": st.integers(1, 3),
        "plan": TEXT,
        "matched_on": st.dates(dt.date(1990, 1, 1), dt.date(2090, 1, 1)),
        "matched_at": INSTANTS,
        "evidence": JSON_VALUES,
    }
)
ONCE = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _stored(db, ids):
    got = db.scalars(
        select(PqlMatch).where(PqlMatch.id.in_(ids)).execution_options(populate_existing=True)
    )
    return {
        m.id: (
            m.contact_id,
            m.account_id,
            m.rule_version,
            m.plan,
            m.matched_on,
            m.matched_at,
            m.evidence,
            m.became_mql,
        )
        for m in got
    }


def _people(db):
    account = f.account(db)
    return account.id, [f.contact(db, account_id=account.id).id for _ in range(4)]


@ONCE
@given(
    rows=st.lists(ROW, max_size=30),
    present=st.sets(st.tuples(st.integers(0, 3), st.integers(1, 3)), max_size=4),
)
def test_insert_ignore_stores_each_new_row_as_given(db, rows, present):
    with db.begin_nested() as outer:
        account_id, contacts = _people(db)
        base = {"account_id": account_id, "plan": "p", "matched_on": dt.date(2026, 1, 1),
                "matched_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "evidence": {}}  # fmt: skip
        insert_ignore(
            db,
            PqlMatch,
            [{**base, "contact_id": contacts[w], "rule_version": v} for w, v in present],
            PqlMatch.id,
        )
        batch = [
            {"contact_id": contacts[r["who"]], "account_id": account_id,
             **{k: v for k, v in r.items() if k != "who"}}
            for r in rows
        ]  # fmt: skip
        seen = {(contacts[w], v) for w, v in present}
        expected = []
        for row in batch:
            if (row["contact_id"], row["rule_version"]) not in seen:
                seen.add((row["contact_id"], row["rule_version"]))
                expected.append(row)

        landed = insert_ignore(
            db, PqlMatch, batch, PqlMatch.id, PqlMatch.contact_id, PqlMatch.rule_version
        )

        assert [(c, v) for _, c, v in landed] == [
            (r["contact_id"], r["rule_version"]) for r in expected
        ]
        ids = [i for i, _, _ in landed]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)  # drawn in the order of the rows
        stored = _stored(db, ids)
        assert [stored[i] for i in ids] == [
            (r["contact_id"], account_id, r["rule_version"], r["plan"], r["matched_on"],
             r["matched_at"], r["evidence"], False)
            for r in expected
        ]  # fmt: skip
        outer.rollback()


@ONCE
@given(changes=st.lists(st.tuples(st.integers(0, 5), ROW, st.booleans()), min_size=1, max_size=20))
def test_update_by_id_stores_the_last_row_of_each_id(db, changes):
    with db.begin_nested() as outer:
        account_id, contacts = _people(db)
        rows = [
            {"contact_id": contacts[i % 4], "account_id": account_id, "rule_version": 10 + i,
             "plan": "p", "matched_on": dt.date(2026, 1, 1),
             "matched_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "evidence": {"n": i}}
            for i in range(6)
        ]  # fmt: skip
        ids = [i for (i,) in insert_ignore(db, PqlMatch, rows, PqlMatch.id)]
        before = _stored(db, ids)
        updates = [
            {"id": ids[k], "plan": r["plan"], "matched_at": r["matched_at"],
             "evidence": r["evidence"], "became_mql": flag}
            for k, r, flag in changes
        ]  # fmt: skip

        update_by_id(db, PqlMatch, updates)

        expected = dict(before)
        for u in updates:
            old = expected[u["id"]]
            expected[u["id"]] = (
                *old[:3],
                u["plan"],
                old[4],
                u["matched_at"],
                u["evidence"],
                u["became_mql"],
            )
        assert _stored(db, ids) == expected
        outer.rollback()


def test_batches_from_a_generator_in_a_pipelined_block(db, monkeypatch):
    """Rows read from a generator a batch at a time (three rows a batch here), ids in the order
    of the rows across batches; an update sent inside `pipelined` has run when the block ends,
    before the insert that follows it reads its rows back."""
    monkeypatch.setattr("tandem.sql.PG_CHUNK", 3)
    monkeypatch.setattr("tandem.sql._CHUNK", 3)
    with db.begin_nested() as outer:
        account_id, contacts = _people(db)
        base = {"account_id": account_id, "plan": "p", "matched_on": dt.date(2026, 1, 1),
                "matched_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "evidence": {}}  # fmt: skip
        first = insert_ignore(
            db,
            PqlMatch,
            ({**base, "contact_id": c, "rule_version": 1} for c in contacts),
            PqlMatch.id,
        )
        with pipelined(db):
            update_by_id(db, PqlMatch, [{"id": i, "plan": f"new {i}"} for (i,) in first])
            made = (
                {**base, "contact_id": contacts[n % 4], "rule_version": 2 + n // 4}
                for n in range(10)
            )
            landed = insert_ignore(db, PqlMatch, made, PqlMatch.id, PqlMatch.rule_version)
        ids = [i for i, _ in landed]
        assert [v for _, v in landed] == [2 + n // 4 for n in range(10)]
        assert ids == sorted(ids) and min(ids) > max(i for (i,) in first)
        stored = _stored(db, [i for (i,) in first])
        assert [stored[i][3] for (i,) in first] == [f"new {i}" for (i,) in first]
        outer.rollback()


def test_a_failing_batch_raises_and_stores_nothing(db):
    """A row the database refuses (a contact that does not exist) fails the statement with
    SQLAlchemy's IntegrityError, as an execute does, and nothing of the batch is stored."""
    with db.begin_nested():
        account_id, contacts = _people(db)
    row = {"account_id": account_id, "plan": "p", "matched_on": dt.date(2026, 1, 1),
           "matched_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "evidence": {}}  # fmt: skip
    rows = [{**row, "contact_id": c, "rule_version": 7} for c in [*contacts, max(contacts) + 999]]
    with pytest.raises(IntegrityError), db.begin_nested():
        insert_ignore(db, PqlMatch, rows, PqlMatch.id)
    assert db.scalars(select(PqlMatch.id).where(PqlMatch.rule_version == 7)).all() == []
