"""The engine: result frame, storage shape, frames vs objects, unattributed amounts."""

from datetime import timedelta

import polars as pl

from tandem.attribution import (
    attribute,
    batch_from_frames,
    batch_from_journeys,
    select_touchpoints_frame,
)

from .conftest import T0, journey, touch


def test_result_frame_and_long_form(config):
    j1 = journey(touch(0, "email", campaign_id=7), touch(1, "webinar"), amount="10.01")
    j2 = journey(amount="5.00", opportunity_id=2)  # converted but no touchpoint
    result = attribute([j1, j2], config=config, models=["linear", "u_shaped"])
    assert result.config_version == config.version
    assert result.credits.columns == [
        "opportunity_id",
        "activity_id",
        "touch_index",
        "channel",
        "campaign_id",
        "asset_id",
        "team",
        "source",
        "linear",
        "u_shaped",
    ]
    assert result.credits["linear"].to_list() == [501, 500]
    assert result.unattributed_cents == 500
    long = result.long()
    assert long.columns == ["opportunity_id", "activity_id", "touch_index", "model", "credit_cents"]
    assert long.height == 4 and long["credit_cents"].sum() == 2 * 1001


def test_frames_and_objects_give_the_same_batch(config):
    journeys = [
        journey(touch(0, "b", "first_touch"), touch(1, "a", "opportunity_creation"), amount="3.00"),
        journey(touch(2, "c"), amount="1.00", opportunity_id=2, converted=False),
    ]
    from_objects = attribute(batch_from_journeys(journeys), config=config)
    touches = pl.DataFrame(
        {
            # deliberately out of order: the batch sorts by time within each opportunity
            "opportunity_id": [2, 1, 1],
            "activity_id": [2, 1, 0],
            "occurred_at": [T0 + timedelta(days=d) for d in (2, 1, 0)],
            "channel": ["c", "a", "b"],
            "milestones": [0, 4, 1],
        },
        schema_overrides={"occurred_at": pl.Datetime("us", "UTC")},
    )
    frames = pl.DataFrame(
        {"opportunity_id": [1, 2], "amount_cents": [300, 100], "converted": [True, False]}
    )
    from_frames = attribute(batch_from_frames(frames, touches), config=config)
    columns = ["opportunity_id", "activity_id", *from_objects.models]
    assert from_objects.credits.select(columns).equals(from_frames.credits.select(columns))


def test_windowed_frame_feeds_the_batch(config):
    activities = pl.DataFrame(
        {
            "opportunity_id": [1, 1, 1],
            "activity_id": [10, 11, 12],
            "occurred_at": [T0 - timedelta(days=200), T0 - timedelta(days=3), T0],
            "channel": ["old", "email", "demo"],
        },
        schema_overrides={"occurred_at": pl.Datetime("us", "UTC")},
    )
    opportunities = pl.DataFrame(
        {"opportunity_id": [1], "created_at": [T0]},
        schema_overrides={"created_at": pl.Datetime("us", "UTC")},
    )
    touches = select_touchpoints_frame(activities, opportunities)
    assert touches["activity_id"].to_list() == [11, 12]
    assert touches["milestones"].to_list() == [1, 4]
    journeys = pl.DataFrame({"opportunity_id": [1], "amount_cents": [1000]})
    result = attribute(batch_from_frames(journeys, touches), config=config, models=["w_shaped"])
    assert result.credits["w_shaped"].to_list() == [500, 500]
