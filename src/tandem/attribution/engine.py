"""Run attribution models over journeys and turn their weights into exact credits in cents."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl

from tandem.attribution import registry
from tandem.attribution.batch import JourneyBatch, batch_from_journeys
from tandem.attribution.config import AttributionConfig
from tandem.attribution.money import allocate_cents, from_cents
from tandem.attribution.touchpoints import Journey, Key


@dataclass(frozen=True, eq=False)
class AttributionResult:
    """Credits per touchpoint for every model, side by side.

    `credits` has one row per touchpoint of a converted journey: ``opportunity_id``,
    ``activity_id``, ``touch_index``, ``channel``, ``campaign_id``, ``asset_id``, ``team``,
    ``source``, then one Int64 column of cents per model (named after the model). Per
    opportunity, each model column sums to the opportunity's amount exactly.
    `unattributed_cents` is the amount of converted journeys that had no touchpoint.
    """

    config_version: str
    models: tuple[str, ...]
    credits: pl.DataFrame
    unattributed_cents: int

    def journey_credits(self, opportunity_id: Key) -> dict[str, tuple[Decimal, ...]]:
        """Credits of one opportunity's touches (in time order) per model, as Decimals."""
        rows = self.credits.filter(pl.col("opportunity_id") == opportunity_id)
        return {m: tuple(from_cents(c) for c in rows[m].to_list()) for m in self.models}

    def long(self) -> pl.DataFrame:
        """One row per touch and model: ids, ``model`` and ``credit_cents`` (for storage)."""
        return self.credits.unpivot(
            index=["opportunity_id", "activity_id", "touch_index"],
            on=list(self.models),
            variable_name="model",
            value_name="credit_cents",
        )


def attribute(
    journeys: Sequence[Journey] | JourneyBatch,
    *,
    config: AttributionConfig,
    models: Sequence[str] | None = None,
) -> AttributionResult:
    """Credit every converted journey's amount to its touchpoints under each model.

    `models` defaults to every available model (registered plus the config's custom ones).
    Data-driven models (markov, shapley) learn from all journeys given, converted or not, so
    pass the non-converting journeys too.
    """
    batch = journeys if isinstance(journeys, JourneyBatch) else batch_from_journeys(journeys)
    names = tuple(models) if models is not None else registry.available(config)
    amount = np.where(batch.converted, batch.amount_cents, 0)
    kept = np.repeat(batch.converted, batch.lengths)
    columns = {}
    for name in names:
        weights = np.asarray(registry.resolve(name, config)(batch, config), dtype=np.float64)
        if weights.shape != batch.channel_code.shape:
            raise ValueError(f"model {name!r} returned {weights.shape}, expected one per touch")
        columns[name] = allocate_cents(amount, weights, batch.offsets)[kept]
    credits = (
        batch.touches.filter(pl.Series(kept))
        .with_columns(
            pl.Series("touch_index", batch.position[kept], dtype=pl.Int32),
            *[pl.Series(name, cents, dtype=pl.Int64) for name, cents in columns.items()],
        )
        .select(
            "opportunity_id",
            "activity_id",
            "touch_index",
            pl.exclude("opportunity_id", "activity_id", "touch_index"),
        )
    )
    return AttributionResult(
        config_version=config.version,
        models=names,
        credits=credits,
        unattributed_cents=int(amount[batch.lengths == 0].sum()),
    )


def attribute_journey(
    journey: Journey, *, model: str, config: AttributionConfig
) -> tuple[Decimal, ...]:
    """Credits per touchpoint of one journey under a position or time-decay model.

    Data-driven models need every journey; use `attribute` for them. A non-converted journey
    gets zero credits.
    """
    if model in ("markov", "shapley"):
        raise ValueError(f"{model} learns from all journeys; call attribute() on the whole set")
    if not journey.converted:
        return tuple(Decimal("0.00") for _ in journey.touchpoints)
    result = attribute([journey], config=config, models=[model])
    return tuple(from_cents(c) for c in result.credits[model].to_list())
