"""The model registry: built-ins and custom models go through the same door."""

from decimal import Decimal

import numpy as np
import pytest

from tandem.attribution import attribute, available, get, names, register, resolve
from tandem.attribution.registry import unregister

from .conftest import journey, touch

BUILT_INS = (
    "first_touch",
    "last_touch",
    "linear",
    "u_shaped",
    "w_shaped",
    "full_path",
    "time_decay",
    "markov",
    "shapley",
)


def test_built_ins_are_registered_in_order():
    assert names()[: len(BUILT_INS)] == BUILT_INS


def test_custom_python_model_is_used_by_attribute(config):
    @register("sales_only")
    def sales_only(batch, config):
        """All credit to sales touches."""
        return (batch.touches["team"].to_numpy() == "sales").astype(float)

    try:
        assert get("sales_only") is sales_only and "sales_only" in available(config)
        j = journey(touch(0, "email"), touch(1, "call", team="sales"), amount="10.00")
        result = attribute([j], config=config, models=["sales_only", "linear"])
        assert result.journey_credits(1)["sales_only"] == (Decimal("0.00"), Decimal("10.00"))
        with pytest.raises(ValueError, match="already registered"):
            register("sales_only")(lambda b, c: np.ones(len(b.channel_code)))
    finally:
        unregister("sales_only")
    assert "sales_only" not in names()


def test_unknown_model_and_wrong_shape(config):
    with pytest.raises(KeyError, match="unknown attribution model 'nope'.*linear"):
        resolve("nope", config)
    register("broken")(lambda batch, config: np.ones(1))
    try:
        with pytest.raises(ValueError, match="broken"):
            attribute([journey(touch(0), touch(1))], config=config, models=["broken"])
    finally:
        unregister("broken")
