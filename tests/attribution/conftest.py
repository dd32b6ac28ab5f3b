"""Fixtures for the attribution tests: the default config, the reference path data, helpers."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tandem.attribution import Journey, Touchpoint, default_config
from tandem.attribution.batch import JourneyBatch, batch_from_frames
from tandem.attribution.config import AttributionConfig

PATHDATA = Path("/work/shared/data/channelattribution-pathdata")
T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def config() -> AttributionConfig:
    return default_config()


@pytest.fixture(scope="session")
def path_data() -> pl.DataFrame:
    if not (PATHDATA / "Data.csv").exists():
        pytest.skip("reference path data not available")
    return pl.read_csv(PATHDATA / "Data.csv", separator=";")


@pytest.fixture(scope="session")
def reference() -> dict[str, dict[str, float]]:
    """reference_attribution_outputs.csv as {column: {channel: value}}."""
    frame = pl.read_csv(PATHDATA / "reference_attribution_outputs.csv")
    channels = frame["channel_name"].to_list()
    return {c: dict(zip(channels, frame[c].to_list(), strict=True)) for c in frame.columns[1:]}


def touch(
    index: int, channel: str = "email", *milestones: str, day: float | None = None, **fields
) -> Touchpoint:
    """A touchpoint `index` days after T0 (or `day` days), marking `milestones`."""
    at = T0 + timedelta(days=index if day is None else day)
    return Touchpoint(index, at, channel, milestones=frozenset(milestones), **fields)


def journey(
    *touches: Touchpoint,
    amount: str = "100.00",
    converted: bool = True,
    opportunity_id: int = 1,
    as_of: datetime | None = None,
) -> Journey:
    return Journey(opportunity_id, Decimal(amount), tuple(touches), converted, as_of)


def batch_from_path_strings(paths: list[str], converted: list[bool]) -> JourneyBatch:
    """A batch with one journey per path string (touches one second apart, no milestones)."""
    rows = [(i, k, c.strip()) for i, p in enumerate(paths) for k, c in enumerate(p.split(">"))]
    touches = pl.DataFrame(
        {
            "opportunity_id": [r[0] for r in rows],
            "activity_id": list(range(len(rows))),
            "occurred_at": [T0 + timedelta(seconds=r[1]) for r in rows],
            "channel": [r[2] for r in rows],
        },
        schema_overrides={"occurred_at": pl.Datetime("us", "UTC")},
    )
    journeys = pl.DataFrame(
        {
            "opportunity_id": list(range(len(paths))),
            "amount_cents": [0] * len(paths),
            "converted": converted,
        }
    )
    return batch_from_frames(journeys, touches)


def channel_totals(batch: JourneyBatch, weights: np.ndarray, per_journey: np.ndarray) -> dict:
    """Sum over journeys of per_journey[j] x normalised weight, by channel (floats, no cents)."""
    journey_index = batch.journey_of_touch
    totals = np.bincount(journey_index, weights, minlength=len(batch.lengths))
    share = weights / totals[journey_index]
    by_channel = np.bincount(
        batch.channel_code, share * per_journey[journey_index], minlength=len(batch.channels)
    )
    return dict(zip(batch.channels, by_channel, strict=True))
