"""The account score, pure: parts sum exactly to the score, the bulk roll-up (Polars) equals the
engine and an independent pandas computation, and a model whose parts cannot sum is refused at
its file:line."""

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.accounts import rescore, score_check
from tandem.accounts.definitions import default_text
from tandem.accounts.loading import load, parse
from tandem.accounts.score import AccountFacts, Signal, Touch, score_account
from tandem.accounts.score_model import AccountScoreModel
from tandem.definitions.base import ConfigError
from tandem.scoring.engine import epoch_us

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
NOW = epoch_us(AS_OF)
DAY = 86_400_000_000
MODEL = load(AccountScoreModel, default_text("account_score"), "default.yaml", *score_check.CHECKS)
TYPES = ["page_view", "email_click", "content_download", "meeting", "webinar_attend", "ad_click"]
ROLES = ["decision_maker", "economic_buyer", "champion", "technical_evaluator", "user", "unknown"]

touches = st.lists(
    st.tuples(st.integers(1, 6), st.sampled_from(TYPES), st.integers(-5 * DAY, 120 * DAY)),
    max_size=40,
)
worlds = st.lists(
    st.tuples(
        st.sampled_from([None, "software", "retail"]),
        st.sampled_from([None, 50, 500, 5000]),
        touches,
        st.dictionaries(st.integers(1, 6), st.sampled_from(ROLES), max_size=6),
        st.lists(
            st.tuples(
                st.sampled_from(["crm", "pricing", "hr"]),
                st.integers(0, 100),
                st.integers(0, 40 * DAY),
            ),
            max_size=5,
        ),
    ),
    min_size=1,
    max_size=6,
)


def facts_of(world):
    out = []
    for i, (industry, employees, acts, roles, sigs) in enumerate(world, start=1):
        fields = {"account.industry": industry, "account.employees": employees}
        out.append(
            AccountFacts(
                account_id=i,
                fields=fields,
                touches=[Touch(i * 100 + c, t, NOW - age) for c, t, age in acts],
                roles={i * 100 + c: r for c, r in roles.items()},
                signals=[Signal(topic, s, NOW - age) for topic, s, age in sigs],
            )
        )
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds)
def test_parts_sum_exactly_to_the_score_and_stay_within_the_scale(world):
    for facts in facts_of(world):
        s = score_account(MODEL, facts, as_of=AS_OF)
        assert sum((p.points for p in s.parts), Decimal(0)) == s.total
        assert sum(s.section(x) for x in ("fit", "engagement", "intent", "coverage")) == s.total
        assert all(p.points == p.points.quantize(Decimal("0.01")) for p in s.parts)
        assert Decimal(0) <= s.total <= Decimal(100)
        assert s.is_mqa == (s.total >= 55 and s.section("engagement") >= 15)


def frames_of(all_facts):
    contacts = {}
    acts = []
    for f in all_facts:
        for t in f.touches:
            contacts[t.contact_id] = (f.account_id, f.roles.get(t.contact_id))
            acts.append((t.contact_id, t.type, t.t))
    c = pl.DataFrame(
        [(k, a, r) for k, (a, r) in contacts.items()],
        schema={"contact_id": pl.Int64, "account_id": pl.Int64, "role": pl.String},
        orient="row",
    )
    a = pl.DataFrame(
        acts, schema={"contact_id": pl.Int64, "type": pl.String, "t": pl.Int64}, orient="row"
    )
    return c, a


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds)
def test_the_bulk_rescore_gives_the_engines_parts(world):
    all_facts = facts_of(world)
    c, a = frames_of(all_facts)
    inputs = dict(
        accounts={f.account_id: f.fields for f in all_facts},
        contacts=c.lazy(),
        activities=a.lazy(),
        signals=rescore.signals_frame({f.account_id: f.signals for f in all_facts}),
        as_of_us=NOW,
    )
    bulk = rescore.rescore(MODEL, **inputs)
    one_by_one = [score_account(MODEL, f, as_of=AS_OF) for f in all_facts]
    assert [s.as_dict() for s in bulk] == [s.as_dict() for s in one_by_one]
    # The frame's own cents (what the bench times) are the same numbers.
    frame = rescore.full_frame(MODEL, **inputs)
    assert frame["total"].to_list() == [int(s.total * 100) for s in one_by_one]
    assert frame["engagement"].to_list() == [int(s.section("engagement") * 100) for s in one_by_one]
    assert frame["is_mqa"].to_list() == [s.is_mqa for s in one_by_one]


def test_the_roll_up_equals_an_independent_pandas_computation():
    """At a few thousand touches: each aggregation recomputed with pandas from the raw rows."""
    import random

    rng = random.Random(7)
    rows = []
    roles = {}
    for contact in range(1, 400):
        account = 1 + contact % 37
        roles[contact] = (account, rng.choice(ROLES + [None]))
        for _ in range(rng.randint(0, 15)):
            rows.append((contact, rng.choice(TYPES), NOW - rng.randint(-DAY, 100 * DAY)))
    c = pl.DataFrame(
        [(k, a, r) for k, (a, r) in roles.items()],
        schema={"contact_id": pl.Int64, "account_id": pl.Int64, "role": pl.String},
        orient="row",
    )
    a = pl.DataFrame(
        rows, schema={"contact_id": pl.Int64, "type": pl.String, "t": pl.Int64}, orient="row"
    )
    got = rescore.rollup_frame(MODEL, c.lazy(), a.lazy(), NOW).sort("account_id")

    df = pd.DataFrame(rows, columns=["contact_id", "type", "t"])
    weights = {k: round(v * 100) * 100 for k, v in MODEL.engagement.weights.items()}
    df["age"] = NOW - df["t"]
    df = df[(df["age"] >= 0) & (df["age"] < 90 * DAY) & df["type"].isin(list(weights))].copy()
    df["w"] = df["type"].map(weights)
    df["account_id"] = df["contact_id"].map(lambda k: roles[k][0])
    df["role"] = df["contact_id"].map(lambda k: roles[k][1])
    hl = next(p.half_life_days for p in MODEL.engagement.parts if p.aggregation == "decayed_sum")
    decayed = df["w"] * 0.5 ** ((df["age"] / DAY) / hl)
    df["d"] = (decayed.abs() + 0.5).apply(int)  # half away from zero, all positive
    person = (
        df.groupby(["account_id", "contact_id"]).agg(u=("w", "sum"), d=("d", "sum")).reset_index()
    )
    person["capped"] = person["u"].clip(upper=30 * 100 * 100)
    expected = person.groupby("account_id").agg(
        a_activity=("capped", "sum"),
        **{"a_top-person": ("u", "max")},
        a_recent=("d", "sum"),
        a_people=("contact_id", "nunique"),
    )
    engaged_roles = df[df["role"].notna() & (df["role"] != "unknown")]
    expected["a_roles"] = engaged_roles.groupby("account_id")["role"].nunique()
    expected = expected.fillna(0).astype(int).reset_index().sort_values("account_id")
    for column in ("a_activity", "a_top-person", "a_recent", "a_people", "a_roles"):
        assert got[column].to_list() == expected[column].to_list(), column
    assert got["account_id"].to_list() == expected["account_id"].to_list()


def test_one_account_explained():
    facts = AccountFacts(
        1,
        {"account.industry": "Software", "account.employees": 5000},
        touches=[Touch(1, "meeting", NOW - DAY), Touch(2, "page_view", NOW - 2 * DAY)],
        roles={1: "decision_maker", 2: "champion"},
        signals=[Signal("CRM", 80, NOW - DAY), Signal("pricing", 10, NOW - DAY)],
    )
    s = score_account(MODEL, facts, as_of=AS_OF)
    parts = {(p.section, p.id): p.points for p in s.parts}
    assert parts[("fit", "industry")] == Decimal("10.00")
    assert parts[("fit", "enterprise")] == Decimal("20.00")
    assert parts[("engagement", "activity")] == Decimal("3.20")  # (15 + 1) x 0.2
    assert parts[("engagement", "people")] == Decimal("4.00")
    assert parts[("intent", "category")] == Decimal("3.00")
    assert parts[("coverage", "roles")] == Decimal("7.50")  # 2 of 4 roles of 15
    assert s.roles_missing == ("economic_buyer", "technical_evaluator")


def _issues(text, *checks):
    return [
        str(i)
        for i in parse(AccountScoreModel, text, "m.yaml", *score_check.CHECKS, *checks)[1]
        if i.level == "error"
    ]


def test_a_model_whose_parts_cannot_sum_is_refused_at_its_line():
    text = default_text("account_score").replace("  max: 15\n  roles:", "  max: 20\n  roles:")
    found = _issues(text)
    assert len(found) == 1
    line = text.splitlines().index("scale: 100") + 1
    assert found[0].startswith(f"m.yaml:{line}: error: ")
    assert "sum to 105, not the scale 100" in found[0]
    # A section whose parts reach over its max: named at the section's max.
    over = default_text("account_score").replace("cap: 12, person_cap", "cap: 20, person_cap")
    assert any(
        "engagement parts can give 48 points, over the section's max 40" in i for i in _issues(over)
    )
    with pytest.raises(ConfigError):
        load(AccountScoreModel, text, "m.yaml", *score_check.CHECKS)


def test_unknown_fields_types_and_roles_are_named_at_their_line():
    text = default_text("account_score").replace("account.industry", "account.industri")
    assert any("unknown field 'account.industri'" in i for i in _issues(text))
    text = default_text("account_score").replace("    meeting: 15", "    meating: 15")
    assert any("unknown activity type 'meating'" in i for i in _issues(text))
    text = default_text("account_score")
    found = _issues(text, score_check.roles_known(("decision_maker", "champion")))
    line = (
        text.splitlines().index(
            "  roles: [decision_maker, economic_buyer, champion, technical_evaluator]"
        )
        + 1
    )
    assert (
        f"m.yaml:{line}: error: coverage.roles[1]: role 'economic_buyer' is not a configured"
        " buying role (champion, decision_maker)" in found
    )
