"""The tick's set-based clocks equal `sla_clock` applied row by row.

`ClockSet.settle` works each (policy, tier, clock start) out once and shares it between rows;
here every row is recounted on its own by `clocks.evaluate` (the pure `sla_clock` and
`due_escalations`), on random business calendars, subjects, owners, starts, completions and
escalations already sent.
"""

import datetime as dt
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.handoff.clocks import ClockSet, clock_key, evaluate
from tandem.handoff.models import Subject
from tandem.handoff.sla_rules import SlaConfig

MONDAY = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)  # a week before US DST starts
ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@st.composite
def calendars(draw):
    hours = {}
    for day in DAYS:
        if draw(st.booleans()):
            start = draw(st.integers(0, 20))
            end = draw(st.integers(start + 1, 24))
            hours[day] = [f"{start:02d}:00-{end:02d}:00"]
    if not hours:
        hours["wed"] = ["09:00-17:00"]
    holidays = draw(st.lists(st.integers(0, 20), max_size=3, unique=True))
    return {
        "timezone": draw(st.sampled_from(ZONES)),
        "hours": hours,
        "holidays": [(MONDAY + dt.timedelta(days=d)).date().isoformat() for d in holidays],
    }


@st.composite
def sla_configs(draw):
    ladder = [
        {"after": "at_risk", "action": "remind_rep"},
        {"after": "breached", "action": "alert_manager"},
        {"after": "breached+1h", "action": "reassign", "clocks": ["accept"]},
        {"after": "breached+3h", "action": "alert_manager", "clocks": ["first_touch"]},
    ]
    tier = st.tuples(st.floats(0.25, 30), st.floats(0.25, 60), st.sampled_from([0.5, 0.75, 0.9]))
    (a1, f1, r1), (a2, f2, r2) = draw(tier), draw(tier)
    return SlaConfig.model_validate(
        {
            "calendars": {"one": draw(calendars()), "two": draw(calendars())},
            "policies": [
                {
                    "name": "inbound",
                    "calendar": "one",
                    "teams": ["us"],
                    "tiers": [
                        {
                            "name": "A",
                            "match": {"grade": "A"},
                            "accept_within_hours": a1,
                            "first_touch_within_hours": f1,
                            "at_risk_fraction": r1,
                        },
                        {
                            "name": "standard",
                            "accept_within_hours": a2,
                            "first_touch_within_hours": f2,
                            "at_risk_fraction": r2,
                        },
                    ],
                    "escalation": draw(
                        st.lists(
                            st.sampled_from(ladder),
                            min_size=1,
                            max_size=4,
                            unique_by=lambda s: s["after"],
                        )
                    ),
                },  # fmt: skip
                {
                    "name": "default",
                    "calendar": "two",
                    "tiers": [
                        {
                            "name": "queue",
                            "accept_within_hours": a2 * 2,
                            "first_touch_within_hours": f2 * 2,
                        }
                    ],
                },  # fmt: skip
            ],
        }
    )


def moment(hours: float | None) -> dt.datetime | None:
    return None if hours is None else MONDAY + dt.timedelta(minutes=round(hours * 60))


PAIRS = [("inbound", "A"), ("inbound", "standard"), ("default", "queue")]


@st.composite
def rows(draw):
    subject = draw(st.sampled_from(Subject.ALL))
    start = moment(draw(st.sampled_from([0, 0, 7.5, 30, 49.25, 100])))  # starts are shared
    policy, tier = draw(
        st.sampled_from(PAIRS) | st.tuples(st.sampled_from(["inbound", None, "retired"]),
                                           st.sampled_from(["A", "queue", None]))
    )  # fmt: skip
    return SimpleNamespace(
        subject=subject,
        contact_id=draw(st.integers(1, 50)) if subject == Subject.LEAD else None,
        account_id=draw(st.integers(1, 50)),
        episode=f"mqa:{draw(st.integers(1, 3))}",
        team=draw(st.sampled_from(["us", None, "emea"])),
        policy=policy,
        tier=tier,
        clock_started_at=start,
        accepted_at=None,
        rejected_at=None,
        first_touch_at=None,
    )


def instants(config, row, as_of):
    """The moments where a clock changes: every step's due time and deadline, a minute either
    side, and the clock start (before it: an acceptance from an earlier owner)."""
    ev = evaluate(config, row, (), as_of)
    if ev.status is None:
        return [row.clock_started_at]
    out = {row.clock_started_at - dt.timedelta(hours=1)}
    for clock in ev.status.clocks:
        for t in (clock.at_risk_at, clock.deadline, *(e.due_at for e in clock.schedule)):
            out |= {t, t - dt.timedelta(minutes=1), t + dt.timedelta(minutes=1)}
    return sorted(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sla=sla_configs(),
    handoffs=st.lists(rows(), min_size=1, max_size=20),
    data=st.data(),
    sent_every=st.integers(1, 4),
)
def test_settle_equals_sla_clock_row_by_row(sla, handoffs, data, sent_every):
    config = SimpleNamespace(sla=sla)
    clocks = ClockSet(config)  # one per tick: shared by every row and every moment below
    for row in handoffs:
        moments = instants(config, row, MONDAY)
        pick = st.none() | st.sampled_from(moments)
        row.accepted_at, row.rejected_at, row.first_touch_at = (data.draw(pick) for _ in "art")
        for as_of in data.draw(st.lists(st.sampled_from(moments), min_size=1, max_size=4)):
            fresh = evaluate(config, row, (), as_of)
            # Escalations already acted on: every n-th step of the row's ladders.
            clocks_now = fresh.status.clocks if fresh.status else ()
            ladder = [e.key for c in clocks_now for e in c.schedule]
            sent = set(ladder[::sent_every])
            want = evaluate(config, row, sent, as_of)
            got = clocks.settle(row, sent, as_of)
            assert [(d.key, d.clock, d.step, d.action, d.due_at, d.deadline) for d in got.due] == [
                (e.key, e.clock, e.step, e.action, e.due_at, e.deadline) for e in want.due
            ]
            assert all(d.key.startswith(f"sla:{clock_key(row)}:") for d in got.due)
            assert got.accept_due_at == want.accept_due_at
            assert got.first_touch_due_at == want.first_touch_due_at
            assert got.next_check_at == want.next_check_at
