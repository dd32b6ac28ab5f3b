"""Routing: account owner, territory rules, weighted round robin with skips, fallback queue."""

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.handoff.routing import ACCOUNT_OWNER, FALLBACK, LeadFacts, RepState, route
from tandem.handoff.routing_rules import RoutingRules

RULES = RoutingRules.model_validate(
    {
        "employee_bands": [
            {"name": "smb", "min": 1, "max": 199},
            {"name": "mid", "min": 200, "max": 999},
            {"name": "ent", "min": 1000},
        ],
        "teams": {
            "us": {
                "reps": [
                    {"user_id": "ann", "capacity": 30},
                    {"user_id": "bob", "capacity": 10},
                    {"user_id": "cat", "capacity": 10},
                ]
            },
            "dach": {
                "manager_id": "max",
                "reps": [
                    {"user_id": "dirk", "capacity": 20},
                    {"user_id": "eva", "capacity": 20, "away": True},
                ],
            },
            "nordics": {"reps": [{"user_id": "frida", "capacity": 5}]},
        },
        "rules": [
            {"id": "strategic", "match": {"is_target": True, "tier": 1}, "reps": ["ann"]},
            {
                "id": "us-ent",
                "match": {"country": ["US", "CA"], "employee_band": "ent"},
                "team": "us",
            },
            {"id": "dach", "match": {"country": ["DE", "AT", "CH"]}, "team": "dach"},
            {
                "id": "nordics",
                "match": {"country": ["NO", "SE"], "industry": ["software", "fintech"]},
                "team": "nordics",
            },
        ],
        "fallback": {"queue": "unassigned"},
    }
)


def test_account_owner_comes_first_even_when_full():
    lead = LeadFacts(contact_id="1", country="DE", account_id="acme", account_owner_id="zoe")
    decision = route(RULES, lead, {"zoe": RepState(open_leads=999)}, {})
    assert (decision.owner_id, decision.rule_id, decision.queue) == ("zoe", ACCOUNT_OWNER, None)
    assert decision.reason == "account acme is owned by zoe"
    assert decision.new_cursor == {}


def test_away_account_owner_falls_through_to_territory():
    lead = LeadFacts(contact_id="1", country="DE", account_owner_id="zoe")
    decision = route(RULES, lead, {"zoe": RepState(away=True)}, {})
    assert (decision.owner_id, decision.rule_id) == ("dirk", "dach")
    assert decision.trace[0] == "account owner zoe is away; trying territory rules"


def test_account_owner_step_can_be_switched_off():
    rules = RULES.model_copy(
        update={"account_owner": RULES.account_owner.model_copy(update={"enabled": False})}
    )
    assert (
        route(
            rules, LeadFacts(contact_id="1", country="DE", account_owner_id="zoe"), {}, {}
        ).owner_id
        == "dirk"
    )


@pytest.mark.parametrize(
    ("lead", "rule_id", "owner"),
    [
        (LeadFacts(contact_id="1", is_target=True, tier="1", country="DE"), "strategic", "ann"),
        (LeadFacts(contact_id="2", is_target=False, tier="1", country="DE"), "dach", "dirk"),
        (LeadFacts(contact_id="3", country="us", employee_count=5000), "us-ent", "ann"),
        (LeadFacts(contact_id="4", country="US", employee_band="mid"), FALLBACK, None),
        (LeadFacts(contact_id="5", country="NO", industry="Software"), "nordics", "frida"),
        (LeadFacts(contact_id="6", country="NO"), FALLBACK, None),
        (LeadFacts(contact_id="7"), FALLBACK, None),
    ],
)
def test_territory_rules_first_match_wins(lead, rule_id, owner):
    decision = route(RULES, lead, {}, {})
    assert (decision.rule_id, decision.owner_id) == (rule_id, owner)
    assert decision.queue == (None if owner else "unassigned")


def test_reason_and_trace_explain_the_decision():
    decision = route(RULES, LeadFacts(contact_id="9", country="NO", industry="retail"), {}, {})
    assert decision.trace == (
        "rule 'strategic' skipped: tier unknown, rule wants 1",
        "rule 'us-ent' skipped: country is NO, rule wants US/CA",
        "rule 'dach' skipped: country is NO, rule wants DE/AT/CH",
        "rule 'nordics' skipped: industry is retail, rule wants software/fintech",
        "no territory rule matched; sent to queue 'unassigned'",
    )
    # The cursor points at eva's slot; she is away, so dirk (slot 1 of 2) gets it.
    picked = route(
        RULES,
        LeadFacts(contact_id="9", country="AT"),
        {"dirk": RepState(open_leads=4)},
        {"dach": 1},
    )
    assert picked.reason == (
        "rule 'dach' matched (country AT in DE/AT/CH); round robin in dach picked dirk "
        "(slot 1 of 2, 4/20 open; skipped eva (away))"
    )
    assert picked.new_cursor == {"dach": 1}


def run(n, state=None, cursor=None, lead=None):
    lead = lead or LeadFacts(contact_id="x", country="US", employee_band="ent")
    cursor, owners = dict(cursor or {}), []
    for _ in range(n):
        decision = route(RULES, lead, state or {}, cursor)
        owners.append(decision.owner_id)
        cursor = decision.new_cursor
    return owners, cursor


def test_round_robin_is_weighted_by_capacity_and_interleaved():
    owners, cursor = run(5)
    # capacities 30/10/10 -> weights 3/1/1, spread out rather than ann, ann, ann, bob, cat
    assert owners == ["ann", "bob", "ann", "cat", "ann"]
    assert cursor == {"us": 0}
    assert run(10)[0] == owners * 2


def test_round_robin_skips_away_and_full_reps():
    state = {"ann": RepState(open_leads=30), "cat": RepState(away=True)}
    owners, _ = run(3, state)
    assert owners == ["bob", "bob", "bob"]
    # From slot 3 the walk meets ann (full), cat (away), ann, ann and then bob at slot 2.
    decision = route(
        RULES, LeadFacts(contact_id="x", country="US", employee_band="ent"), state, {"us": 2}
    )
    assert decision.owner_id == "bob"
    assert "slot 2 of 5, 0/10 open; skipped ann (full, 30/30 open), cat (away)" in decision.reason
    assert decision.new_cursor == {"us": 2}


def test_no_one_available_goes_to_the_fallback_queue_without_moving_the_cursor():
    state = {"dirk": RepState(open_leads=20)}
    decision = route(RULES, LeadFacts(contact_id="x", country="CH"), state, {"dach": 7})
    assert (decision.owner_id, decision.queue, decision.rule_id) == (None, "unassigned", "dach")
    assert decision.new_cursor == {"dach": 7}
    assert "dirk (full, 20/20 open), eva (away)" in decision.reason


def test_route_does_not_mutate_the_callers_cursor():
    cursor = {"us": 1}
    decision = route(
        RULES, LeadFacts(contact_id="x", country="US", employee_band="ent"), {}, cursor
    )
    assert (cursor, decision.new_cursor, decision.owner_id) == ({"us": 1}, {"us": 2}, "bob")


@settings(max_examples=80, deadline=None)
@given(
    caps=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=5),
    start=st.integers(min_value=0, max_value=100),
    away=st.sets(st.integers(min_value=0, max_value=4)),
)
def test_round_robin_properties(caps, start, away):
    """Over whole cycles each available rep gets leads in proportion to capacity; away reps and
    reps without capacity get none; the same inputs always give the same answer."""
    reps = [{"user_id": f"r{i}", "capacity": c} for i, c in enumerate(caps)]
    rules = RoutingRules.model_validate(
        {
            "teams": {"t": {"reps": reps}},
            "rules": [{"id": "all", "team": "t"}],
            "fallback": {"queue": "q"},
        }
    )
    state = {f"r{i}": RepState(away=i in away) for i in range(len(caps))}
    lead = LeadFacts(contact_id="x")
    live = {f"r{i}": c for i, c in enumerate(caps) if c and i not in away}
    cursor, owners = {"t": start}, []
    rounds = sum(caps) * 2 or 3
    for _ in range(rounds):
        decision = route(rules, lead, state, cursor)
        assert decision == route(rules, lead, state, cursor)
        owners.append(decision.owner_id)
        cursor = decision.new_cursor
    if not live:
        assert set(owners) == {None}
        return
    assert set(owners) <= set(live)
    if not (set(range(len(caps))) & away):  # everyone in: exact shares over whole cycles
        g = math.gcd(*live.values())
        cycle = sum(c // g for c in live.values())
        counts = Counter(owners[: cycle * (len(owners) // cycle)])
        k = len(owners) // cycle
        assert counts == Counter({u: k * c // g for u, c in live.items()})


def test_manager_of_a_rep_and_band_for_a_head_count():
    assert (RULES.manager_of("eva"), RULES.manager_of("ann"), RULES.manager_of("zoe")) == (
        "max",
        None,
        None,
    )
    assert [RULES.band_for(n) for n in (None, 0, 199, 200, 10_000)] == [
        None,
        None,
        "smb",
        "mid",
        "ent",
    ]
