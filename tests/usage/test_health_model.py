"""The health model as code: parsed with file:line issues, weights summing to 100."""

from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.usage import compute
from tandem.usage.definitions import default_model, default_text
from tandem.usage.health_model import parse_model

from .helpers import AS_OF, seats, weekly

BAD_WEIGHTS = """\
scorecards:
  default:
    components:
      - kind: adoption
        weight: 60
        thresholds: [{min: 0.5, points: 1}]
      - kind: trend
        weight: 30
        thresholds: [{min: 0, points: 1}]
"""


def test_the_packaged_model_is_valid_and_has_a_scorecard_per_segment():
    model, issues = parse_model(default_text(), "health_model.yaml")
    assert issues == []
    assert set(model.scorecards) == {"default", "enterprise"}
    assert model.scorecard_for("enterprise") == "enterprise"
    assert model.scorecard_for("smb") == "default"
    assert all(sum(c.weight for c in card.components) == 100 for card in model.scorecards.values())


def test_weights_that_do_not_sum_name_the_file_and_line():
    model, issues = parse_model(BAD_WEIGHTS, "model.yaml")
    assert model is None
    assert [str(i) for i in issues] == [
        "model.yaml:3: error: scorecards.default.components: weights sum to 90, not 100 "
        "(adoption:active_users 60, trend:active_users 30)"
    ]


def test_a_threshold_with_both_bounds_and_an_unknown_kind_are_located():
    text = BAD_WEIGHTS.replace("{min: 0.5, points: 1}", "{min: 0.5, max: 2, points: 1}").replace(
        "kind: trend", "kind: trendy"
    )
    _, issues = parse_model(text, "m.yaml")
    where = {(i.line, i.message) for i in issues}
    assert (6, "a threshold has exactly one of min or max") in where
    assert any(line == 7 and m.startswith("Input should be 'adoption'") for line, m in where)


def test_a_segment_in_two_scorecards_and_a_duplicate_key_are_errors():
    text = default_text().replace("segments: [enterprise]", "segments: [enterprise, enterprise]")
    _, issues = parse_model(text, "m.yaml")
    assert any("scored by scorecard 'enterprise' too" in i.message for i in issues)
    _, issues = parse_model("period: week\nperiod: day\nscorecards: {}\n", "d.yaml")
    assert any(i.line == 2 and "duplicate key" in i.message for i in issues)


@settings(max_examples=40, deadline=None)
@given(
    active=st.lists(st.floats(0, 60, allow_nan=False), min_size=8, max_size=8),
    reports=st.lists(st.sampled_from([0.0, 3.0]), min_size=8, max_size=8),
    seat_count=st.integers(1, 50),
    segment=st.sampled_from(["smb", "enterprise", None]),
)
def test_parts_sum_exactly_to_the_score_and_stay_within_their_weights(
    active, reports, seat_count, segment
):
    model = default_model()
    usage = weekly(1, {"active_users": active, "reports_run": reports})
    health = compute.score(
        usage=usage,
        limits=seats([(1, seat_count)]),
        accounts=pl.DataFrame({"account_id": [1], "segment": [segment]}),
        model=model,
        as_of=AS_OF,
    )
    (score,) = health.scores["score"].to_list()
    parts = health.parts
    assert round(sum(parts["points"].to_list()), 2) == score
    assert (parts["points"] <= parts["weight"]).all() and (parts["points"] >= 0).all()
    card = model.scorecards[health.scores["scorecard"][0]]
    assert parts.height == len(card.components)
    assert 0 <= score <= 100


def test_the_default_model_file_is_shipped_with_the_package():
    import tandem.usage

    assert (Path(tandem.usage.__file__).parent / "data" / "health_model.yaml").is_file()
