"""The content figures of the registry equal an independent recount over the raw events."""

import dataclasses
from datetime import UTC, date, datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.content.frames import NO_CONTENT
from tandem.metrics import service
from tandem.metrics.engine import Engine
from tandem.metrics.spec import Window
from tests.analytics.frames_support import facts as build

T0 = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 12, 1, 12, tzinfo=UTC)
WINDOW = Window(date(2026, 3, 1), date(2026, 9, 1), AS_OF)
SEGMENTS = ("smb", "enterprise")


def _engine(contacts, events):
    from tandem.analytics.relations import relations

    facts = build(
        contacts, [(c["contact_id"], None, "lead", T0) for c in contacts], loaded_at=AS_OF
    )
    content = pl.DataFrame(events, schema=NO_CONTENT.schema, orient="row")
    facts = dataclasses.replace(facts, extra={"content": content})
    return Engine({name: (lambda b=b: b(facts)) for name, (b, _) in relations().items()})


@st.composite
def worlds(draw):
    contacts = [
        {"contact_id": c, "segment": draw(st.sampled_from(SEGMENTS))}
        for c in range(1, draw(st.integers(1, 8)) + 1)
    ]
    events = [
        (
            kind,
            draw(st.integers(1, 4)),
            draw(st.integers(1, len(contacts))),
            draw(st.sampled_from([7, 8])) if kind == "share" else None,
            T0 + timedelta(days=draw(st.integers(0, 364)), hours=draw(st.integers(0, 23))),
            draw(st.sampled_from(["ebook", "webinar"])),
            draw(st.sampled_from(["awareness", "decision"])),
            None,  # the activity id
        )
        for kind in draw(st.lists(st.sampled_from(["view", "share"]), max_size=30))
    ]
    return contacts, events


def _in(at):
    lo = datetime(2026, 3, 1, tzinfo=UTC)
    hi = datetime(2026, 9, 1, tzinfo=UTC)
    return lo <= at < hi


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_views_and_shares_equal_a_recount(world):
    contacts, events = world
    engine = _engine(contacts, events)
    segment = {c["contact_id"]: c["segment"] for c in contacts}
    for name, kind in (("content_views", "view"), ("content_shares", "share")):
        mine = [e for e in events if e[0] == kind and _in(e[4])]
        got = service.figure(engine, name, WINDOW, by="segment")
        assert got.value == len(mine)
        parts = {p.value: p.figure for p in got.breakdown}
        for s in SEGMENTS:
            assert parts.get(s, 0) == sum(segment[e[2]] == s for e in mine)
        every = service.records(engine, name, WINDOW, limit=None)
        assert every.total == got.rows == len(mine)
    by_rep = service.figure(engine, "content_shares", WINDOW, by="rep")
    shares = [e for e in events if e[0] == "share" and _in(e[4])]
    assert {p.value: p.figure for p in by_rep.breakdown if p.figure} == {
        str(r): sum(e[3] == r for e in shares) for r in (7, 8) if any(e[3] == r for e in shares)
    }
    ebooks = (
        service.figure(engine, "content_views", WINDOW, {"asset_type": "ebook"})
        if any(e[5] == "ebook" for e in events)
        else None
    )
    if ebooks is not None:
        assert ebooks.value == sum(e[0] == "view" and e[5] == "ebook" and _in(e[4]) for e in events)
