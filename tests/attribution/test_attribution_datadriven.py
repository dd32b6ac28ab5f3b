"""Markov (exact absorbing chain, any order) and Shapley (exact, closed form, sampled)."""

from decimal import Decimal

import numpy as np
import pytest

from tandem.attribution import attribute, markov_attribution, paths_from_strings, shapley_values

from .conftest import journey, touch


def small_paths():
    # A > B converts once, C > B fails once.
    return paths_from_strings(
        ["A > B", "C > B"], conversions=[1, 0], nulls=[0, 1], value=[80.0, 0.0]
    )


def test_markov_first_order_by_hand():
    fitted = markov_attribution(small_paths())
    # P(conv) = 1/2 (B converts half the time). Without A only C > B remains: 1/4.
    assert fitted.conversion_probability == pytest.approx(0.5)
    assert fitted.removal_effects.tolist() == pytest.approx([0.5, 1.0, 0.5])
    assert fitted.shares.tolist() == pytest.approx([0.25, 0.5, 0.25])
    assert fitted.conversions.tolist() == pytest.approx([0.25, 0.5, 0.25])
    assert fitted.value.tolist() == pytest.approx([20.0, 40.0, 20.0])


def test_markov_second_order_remembers_where_the_path_came_from():
    fitted = markov_attribution(small_paths(), order=2)
    # State (A, B) always converts and (C, B) never: C contributes nothing.
    assert fitted.removal_effects.tolist() == pytest.approx([1.0, 1.0, 0.0])
    assert fitted.shares.tolist() == pytest.approx([0.5, 0.5, 0.0])


def test_markov_self_loops_and_no_conversions():
    looped = paths_from_strings(["A > A > B", "A"], conversions=[1, 0], nulls=[0, 1])
    assert markov_attribution(looped).removal_effects.tolist() == pytest.approx([1.0, 1.0])
    dead = paths_from_strings(["A > B"], conversions=[0], nulls=[3])
    fitted = markov_attribution(dead)
    assert fitted.conversion_probability == 0.0
    assert fitted.shares.tolist() == [0.0, 0.0]


def test_shapley_exact_by_hand_conversions():
    paths = paths_from_strings(["A", "A > B", "B > C > B"], conversions=[2, 4, 6])
    result = shapley_values(paths)
    # v(S) = conversions of paths whose channel set is inside S; by hand over the 3! orders.
    assert result.method == "exact"
    assert result.values.tolist() == pytest.approx([4.0, 5.0, 3.0])
    assert result.std_errors.tolist() == [0.0, 0.0, 0.0]
    assert shapley_values(paths, method="closed_form").values.tolist() == pytest.approx([4, 5, 3])


def test_shapley_exact_by_hand_conversion_rate():
    paths = paths_from_strings(["A", "B", "A > B"], conversions=[1, 1, 3], nulls=[3, 1, 1])
    # v(A) = 1/4, v(B) = 1/2, v(AB) = 5/10. phi_A = (1/4 + 0)/2, phi_B = (1/2 + 1/4)/2.
    result = shapley_values(paths, characteristic="conversion_rate")
    assert result.values.tolist() == pytest.approx([0.125, 0.375])


@pytest.mark.parametrize("characteristic", ["conversions", "value"])
def test_shapley_exact_equals_closed_form_on_reference_data(path_data, characteristic):
    paths = paths_from_strings(
        path_data["path"].to_list(),
        conversions=path_data["total_conversions"].to_numpy(),
        nulls=path_data["total_null"].to_numpy(),
        value=path_data["total_conversion_value"].to_numpy(),
    )
    exact = shapley_values(paths, characteristic=characteristic)
    closed = shapley_values(paths, characteristic=characteristic, method="closed_form")
    assert exact.method == "exact" and len(paths.channels) == 12
    np.testing.assert_allclose(exact.values, closed.values, rtol=1e-9)
    total = paths.conversions.sum() if characteristic == "conversions" else paths.value.sum()
    assert exact.values.sum() == pytest.approx(total)  # efficiency: v(all channels)


@pytest.mark.parametrize("characteristic", ["conversion_rate", "conversions"])
def test_sampled_shapley_is_within_its_stated_error(path_data, characteristic):
    paths = paths_from_strings(
        path_data["path"].to_list(),
        conversions=path_data["total_conversions"].to_numpy(),
        nulls=path_data["total_null"].to_numpy(),
    )
    exact = shapley_values(paths, characteristic=characteristic)
    sampled = shapley_values(
        paths, characteristic=characteristic, method="sampled", samples=1500, seed=3
    )
    assert sampled.method == "sampled" and sampled.samples == 1500
    assert (sampled.std_errors > 0).all()
    assert np.all(np.abs(sampled.values - exact.values) <= 4 * sampled.std_errors + 1e-12)
    more = shapley_values(
        paths, characteristic=characteristic, method="sampled", samples=6000, seed=4
    )
    ratio = sampled.std_errors.sum() / more.std_errors.sum()
    assert ratio == pytest.approx(2.0, rel=0.2)  # error shrinks as 1/sqrt(samples)


def test_shapley_auto_method_beyond_the_exact_limit(path_data):
    paths = paths_from_strings(
        path_data["path"].to_list(),
        conversions=path_data["total_conversions"].to_numpy(),
        nulls=path_data["total_null"].to_numpy(),
    )
    assert shapley_values(paths, exact_max_channels=5).method == "closed_form"
    rate = shapley_values(
        paths, characteristic="conversion_rate", exact_max_channels=5, samples=200
    )
    assert rate.method == "sampled" and rate.samples == 200
    with pytest.raises(ValueError, match="additive"):
        shapley_values(paths, characteristic="conversion_rate", method="closed_form")


def test_data_driven_credit_per_journey_renormalises_channel_shares(config):
    # Journeys: A > A > B converts, B converts, C fails.
    journeys = [
        journey(touch(0, "A"), touch(1, "A"), touch(2, "B"), amount="90.00", opportunity_id=1),
        journey(touch(3, "B"), amount="10.00", opportunity_id=2),
        journey(touch(4, "C"), converted=False, opportunity_id=3),
    ]
    result = attribute(journeys, config=config, models=["markov", "shapley"])
    # Markov: start -> A 1/3, B 1/3, C 1/3; A -> A 1/2, B 1/2; B converts; C fails.
    # P(conv) = 2/3; without A: 1/3 (RE 1/2); without B: 0 (RE 1). Shares 1/3 and 2/3 of
    # journey 1 = 30 for A (two touches: 15 each) and 60 for B.
    assert result.journey_credits(1)["markov"] == tuple(
        Decimal(x) for x in ("15.00", "15.00", "60.00")
    )
    assert result.journey_credits(2)["markov"] == (Decimal("10.00"),)
    # Shapley (conversions): A's share 1/2 x 1 = 0.5, B 0.5 + 1 = 1.5 -> 1:3 in journey 1.
    assert result.journey_credits(1)["shapley"] == tuple(
        Decimal(x) for x in ("11.25", "11.25", "67.50")
    )
