"""The registry's figures equal an independent recount in plain Python over the raw rows.

Random workspaces (hypothesis): contacts with stage histories (some jumping stages, as imports
do), deals with unknown amounts and creation dates, answers to MQLs. Each figure computed by
SQL on DuckDB must equal a loop over the same rows; breakdowns must add up to the total, and
the drill-down list must hold exactly the figure's rows.
"""

import statistics
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.analytics.frames import STAGES
from tandem.errors import Invalid, NotFound
from tandem.metrics import service
from tandem.metrics.engine import engine_for
from tandem.metrics.spec import Window
from tests.analytics.frames_support import facts as build

T0 = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 12, 1, 12, tzinfo=UTC)
CHANNELS = ("email", "paid_search", "webinar")


@st.composite
def workspaces(draw):
    contacts, transitions = [], []
    for cid in range(1, draw(st.integers(1, 25)) + 1):
        created = T0 + timedelta(days=draw(st.integers(0, 300)))
        # A path along the funnel, skipping some stages (an import's jump implies them).
        depth = draw(st.integers(1, len(STAGES)))
        path = [s for s in STAGES[:depth] if draw(st.booleans()) or s == STAGES[depth - 1]]
        at, previous = created, None
        for stage in path:
            at += timedelta(days=draw(st.integers(0, 40)), hours=draw(st.integers(0, 23)))
            transitions.append((cid, previous, stage, at))
            previous = stage
        if previous == "mql" and draw(st.booleans()):
            at += timedelta(days=draw(st.integers(0, 10)))
            transitions.append((cid, "mql", "nurture", at))
            previous = "nurture"
        contacts.append(
            {
                "contact_id": cid,
                "created_at": created,
                "stage": previous,
                "stage_entered_at": at,
                "channel": draw(st.sampled_from(CHANNELS)),
            }
        )
    deals = []
    for did in range(1, draw(st.integers(0, 20)) + 1):
        created = T0 + timedelta(days=draw(st.integers(0, 330)))
        closed = draw(st.booleans())
        deals.append(
            {
                "opportunity_id": did,
                "amount": draw(st.none() | st.integers(0, 90).map(lambda k: k * 1000.0)),
                "created_at": draw(st.none() | st.just(created)),
                "closed_at": created + timedelta(days=draw(st.integers(1, 120)))
                if closed
                else None,
                "is_closed": closed,
                "is_won": closed and draw(st.booleans()),
                "channel": draw(st.sampled_from(CHANNELS)),
            }
        )
    return contacts, transitions, deals


WINDOW = Window(date(2026, 3, 1), date(2026, 9, 1), AS_OF)


def _in(moment, at=WINDOW):
    lo = datetime(at.start.year, at.start.month, at.start.day, tzinfo=UTC)
    hi = min(datetime(at.end.year, at.end.month, at.end.day, tzinfo=UTC), at.as_of)
    return moment is not None and lo <= moment < hi


def _first_reach(transitions, contacts):
    """Per contact, when it first reached each stage, a later stage implying the earlier."""
    seen = {}
    for cid, _, stage, at in transitions:
        if stage in STAGES:
            key = (cid, stage)
            seen[key] = min(seen.get(key, at), at)
    out = {}
    for c in contacts:
        later = None
        for stage in reversed(STAGES):
            own = seen.get((c["contact_id"], stage))
            later = own if later is None else (later if own is None else min(own, later))
            out[(c["contact_id"], stage)] = later
    return out, seen


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workspaces())
def test_every_figure_equals_a_recount(world):
    contacts, transitions, deals = world
    engine = engine_for(build(contacts, transitions, deals, loaded_at=AS_OF))
    reach, seen = _first_reach(transitions, contacts)

    for stage in STAGES:
        got = service.figure(engine, f"reached_{stage}", WINDOW, by="channel")
        mine = [c for c in contacts if _in(reach[(c["contact_id"], stage)])]
        assert got.value == len(mine)
        assert got.implied == sum((c["contact_id"], stage) not in seen for c in mine)
        assert sum(p.figure for p in got.breakdown) == got.value

    for a, b in zip(STAGES, STAGES[1:], strict=False):
        got = service.figure(engine, f"conversion_{a}_to_{b}", WINDOW)
        entered = [c for c in contacts if _in(reach[(c["contact_id"], a)])]
        went = [c for c in entered if reach[(c["contact_id"], b)] is not None]
        assert (got.rows, got.numerator or 0) == (len(entered), len(went))
        assert got.value == (len(went) / len(entered) if entered else None)

    won = [d for d in deals if d["is_won"] and _in(d["closed_at"])]
    known = [d["amount"] for d in won if d["amount"] is not None]
    revenue = service.figure(engine, "revenue_won", WINDOW, by="channel")
    assert revenue.value == pytest.approx(sum(known))
    assert revenue.unknown == len(won) - len(known)
    assert sum(p.figure for p in revenue.breakdown) == pytest.approx(revenue.value)
    average = service.figure(engine, "average_won_deal", WINDOW).value
    assert average == (pytest.approx(statistics.mean(known)) if known else None)

    closed = [d for d in deals if d["is_closed"] and _in(d["closed_at"])]
    rate = service.figure(engine, "win_rate", WINDOW).value
    assert rate == (sum(d["is_won"] for d in closed) / len(closed) if closed else None)

    cycles = [
        (d["closed_at"] - d["created_at"]).total_seconds() / 86400
        for d in won
        if d["created_at"] is not None
    ]
    cycle = service.figure(engine, "sales_cycle_days", WINDOW)
    assert cycle.unknown == len(won) - len(cycles)
    if cycles:
        assert cycle.value == pytest.approx(statistics.median(cycles))
        assert cycle.p90 == pytest.approx(float(np.percentile(cycles, 90)))
    else:
        assert cycle.value is None

    def is_open(d):
        created_ok = d["created_at"] is None or d["created_at"] <= AS_OF
        return created_ok and (
            not d["is_closed"] if d["closed_at"] is None else d["closed_at"] > AS_OF
        )

    still_open = [d for d in deals if is_open(d)]
    pipeline = service.figure(engine, "open_pipeline", WINDOW)
    assert pipeline.rows == len(still_open)
    assert pipeline.value == pytest.approx(sum(d["amount"] or 0 for d in still_open))

    answers = [
        (cid, b)
        for cid, a, b, at in transitions
        if a == "mql" and _in(at) and b in ("sal", "nurture", "disqualified")
    ]
    accepted = service.figure(engine, "acceptance_rate", WINDOW)
    assert (accepted.rows, accepted.numerator or 0) == (
        len(answers),
        sum(b == "sal" for _, b in answers),
    )


@settings(max_examples=20, deadline=None)
@given(workspaces())
def test_the_records_are_the_figure(world):
    contacts, transitions, deals = world
    engine = engine_for(build(contacts, transitions, deals, loaded_at=AS_OF))
    for name in ("reached_mql", "revenue_won", "win_rate", "open_deals", "conversion_lead_to_mql"):
        figure = service.figure(engine, name, WINDOW)
        every = service.records(engine, name, WINDOW, limit=None)
        assert every.total == figure.rows == len(every.rows)
        first = service.records(engine, name, WINDOW, limit=3)
        assert first.rows == every.rows[:3]


def test_bad_input_names_what_is_allowed():
    contacts = [{"contact_id": 1, "channel": "email"}]
    engine = engine_for(build(contacts, [(1, None, "lead", T0)], loaded_at=AS_OF))
    with pytest.raises(NotFound, match="did you mean reached_mql"):
        service.metric("reached_mq")
    with pytest.raises(Invalid, match=r"no dimension 'colour' \(allowed: segment, region"):
        service.figure(engine, "reached_lead", WINDOW, {"colour": "red"})
    with pytest.raises(Invalid, match=r"channel='fax' \(values: email\)"):
        service.figure(engine, "reached_lead", WINDOW, {"channel": "fax"})
    with pytest.raises(Invalid, match="no dimension 'stage'"):
        service.figure(engine, "reached_lead", WINDOW, by="stage")
    with pytest.raises(Invalid, match="ends .* before it starts"):
        service.window(date(2026, 5, 1), date(2026, 4, 1), AS_OF)
    with pytest.raises(Invalid, match="over 3,660 days"):
        service.window(date(2000, 1, 1), date(2026, 4, 1), AS_OF)
    with pytest.raises(Invalid, match="limit must be"):
        service.records(engine, "reached_lead", WINDOW, limit=0)


def test_every_metric_is_defined_in_words_and_runs():
    engine = engine_for(build([{"contact_id": 1}], [(1, None, "lead", T0)], loaded_at=AS_OF))
    registry = service.registry()
    assert len(registry) >= 30
    for metric in registry.values():
        assert metric.definition.endswith(".") and len(metric.definition) > 40, metric.name
        assert metric.window == "as_of" or metric.dated, metric.name
        service.figure(engine, metric.name, WINDOW)  # every statement runs on DuckDB


@settings(max_examples=20, deadline=None)
@given(workspaces(), st.sampled_from([{}, {"channel": "email"}]))
def test_one_scan_for_many_figures_equals_one_each(world, filters):
    contacts, transitions, deals = world
    engine = engine_for(build(contacts, transitions, deals, loaded_at=AS_OF))
    names = list(service.registry())
    together = service.figures(engine, names, WINDOW, filters, strict=False)
    for name in names:
        alone = service.figure(engine, name, WINDOW, filters, strict=False)
        got = together[name]
        assert (got.value, got.rows, got.unknown, got.implied, got.p90) == (
            alone.value,
            alone.rows,
            alone.unknown,
            alone.implied,
            alone.p90,
        ), name
