"""Position models and time decay: exact weights, table-driven, including the edge cases."""

from datetime import timedelta
from decimal import Decimal
from importlib import resources

import pytest

from tandem.attribution import AttributionConfig, attribute_journey, parse_config
from tandem.attribution.batch import batch_from_journeys
from tandem.attribution.positions import position_weights

from .conftest import T0, journey, touch

FT, LC, OC, CL = "first_touch", "lead_creation", "opportunity_creation", "close"


def credits(model, touches, config, amount="100.00"):
    return [
        str(c)
        for c in attribute_journey(journey(*touches, amount=amount), model=model, config=config)
    ]


def plain(n):
    return [touch(i, f"c{i}") for i in range(n)]


@pytest.mark.parametrize(
    ("model", "n", "expected"),
    [
        ("first_touch", 1, ["100.00"]),
        ("first_touch", 3, ["100.00", "0.00", "0.00"]),
        ("last_touch", 3, ["0.00", "0.00", "100.00"]),
        ("linear", 1, ["100.00"]),
        ("linear", 3, ["33.34", "33.33", "33.33"]),
        ("linear", 4, ["25.00", "25.00", "25.00", "25.00"]),
        ("u_shaped", 1, ["100.00"]),
        ("u_shaped", 2, ["50.00", "50.00"]),
        ("u_shaped", 3, ["40.00", "20.00", "40.00"]),
        ("u_shaped", 4, ["40.00", "10.00", "10.00", "40.00"]),
        ("u_shaped", 5, ["40.00", "6.67", "6.67", "6.66", "40.00"]),
    ],
)
def test_positional_models(config, model, n, expected):
    assert credits(model, plain(n), config) == expected


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        # first, lead, opportunity creation on separate touches, two more in between: 30/30/30/5/5
        ([{FT}, set(), {LC}, set(), {OC}], ["30.00", "5.00", "30.00", "5.00", "30.00"]),
        # first touch is also lead creation: it gets 60; rest 10 over the two others
        ([{FT, LC}, set(), set(), {OC}], ["60.00", "5.00", "5.00", "30.00"]),
        # no lead creation: 30+30+10 present, each scaled by 100/70
        ([{FT}, set(), {OC}], ["42.86", "14.28", "42.86"]),
        # three milestones, nothing left over: the 10 is shared out, 100/3 each
        ([{FT}, {LC}, {OC}], ["33.34", "33.33", "33.33"]),
        # one touch with every milestone: 100
        ([{FT, LC, OC}], ["100.00"]),
        # no milestone flags at all (unmarked journey): everything is "rest", i.e. linear
        ([set(), set()], ["50.00", "50.00"]),
    ],
)
def test_w_shaped_milestones_coincide_or_go_missing(config, marks, expected):
    touches = [touch(i, "email", *m) for i, m in enumerate(marks)]
    assert credits("w_shaped", touches, config) == expected


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        (
            [{FT}, {LC}, set(), {OC}, set(), {CL}],
            ["22.50", "22.50", "5.00", "22.50", "5.00", "22.50"],
        ),
        # no close (window ended at opportunity creation): 22.5 x 3 + 10 = 77.5 present
        ([{FT}, {LC}, set(), {OC}], ["29.03", "29.03", "12.91", "29.03"]),
        # opportunity creation and close on one touch: 45
        ([{FT}, {LC}, set(), {OC, CL}], ["22.50", "22.50", "10.00", "45.00"]),
    ],
)
def test_full_path(config, marks, expected):
    touches = [touch(i, "email", *m) for i, m in enumerate(marks)]
    assert credits("full_path", touches, config) == expected


def test_anchor_weights_directly_on_a_batch(config):
    batch = batch_from_journeys([journey(*plain(5))])
    weights = position_weights(batch, {"position:1": 50, "position:-2": 30, "rest": 20})
    assert weights.round(6).tolist() == [0.066667, 0.5, 0.066667, 0.3, 0.066667]


def test_custom_model_from_yaml(config):
    text = resources.files("tandem.attribution").joinpath("default.yaml").read_text()
    custom = parse_config(
        text.replace(
            "custom_models: {}",
            "custom_models:\n  second_heavy: {first: 20, position:1: 50, rest: 10, last: 20}",
        )
    )
    assert credits("second_heavy", plain(4), custom) == ["20.00", "50.00", "10.00", "20.00"]
    # two touches: position 1 is also the last touch (50 + 20), no rest: 20/90 and 70/90
    assert credits("second_heavy", plain(2), custom) == ["22.22", "77.78"]


@pytest.mark.parametrize(
    ("days", "half_life", "expected"),
    [
        ([0, 7, 14], 7, ["14.29", "28.57", "57.14"]),  # weights 1:2:4
        ([0, 14], 14, ["33.33", "66.67"]),
        ([3], 7, ["100.00"]),
    ],
)
def test_time_decay_halves_every_half_life(config, days, half_life, expected):
    cfg = AttributionConfig.model_validate(
        {**config.model_dump(), "time_decay": {"half_life_days": half_life}}
    )
    touches = [touch(i, "email", day=d) for i, d in enumerate(days)]
    as_of = T0 + timedelta(days=days[-1] + 30)  # the same shift for every touch: no effect
    got = attribute_journey(journey(*touches, as_of=as_of), model="time_decay", config=cfg)
    assert [str(c) for c in got] == expected


def test_time_decay_counts_touches_after_as_of_as_fresh(config):
    touches = [touch(0, day=0), touch(1, day=7), touch(2, day=20)]
    got = attribute_journey(
        journey(*touches, as_of=T0 + timedelta(days=7)), model="time_decay", config=config
    )
    assert [str(c) for c in got] == ["20.00", "40.00", "40.00"]


def test_non_converted_journey_gets_nothing_and_data_driven_models_refuse(config):
    j = journey(*plain(3), converted=False)
    assert attribute_journey(j, model="linear", config=config) == (Decimal("0.00"),) * 3
    with pytest.raises(ValueError, match="all journeys"):
        attribute_journey(j, model="markov", config=config)
