"""Exact cents: largest-remainder allocation and amount parsing."""

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.attribution.money import allocate_cents, from_cents, to_cents


def test_to_cents_accepts_whole_cents_and_rejects_fractions_and_floats():
    assert to_cents(Decimal("1234.50")) == 123450
    assert to_cents(7) == 700
    with pytest.raises(ValueError, match="whole number of cents"):
        to_cents(Decimal("0.244"))
    with pytest.raises(TypeError):
        to_cents(1.5)  # type: ignore[arg-type]


def test_from_cents_has_two_places():
    assert from_cents(5) == Decimal("0.05")
    assert str(from_cents(12345)) == "123.45"


@pytest.mark.parametrize(
    ("amount", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # the spare cent goes to the earliest of equal fractions
        (10000, [0.4, 0.2, 0.4], [4000, 2000, 4000]),
        (1, [0.3, 0.3, 0.4], [0, 0, 1]),  # largest fraction wins
        (101, [0, 0], [51, 50]),  # no positive weight: equal split, never lost
        (-100, [1, 1, 1], [-34, -33, -33]),
    ],
)
def test_allocate_cents_table(amount, weights, expected):
    cents = allocate_cents(
        np.array([amount]), np.array(weights, float), np.array([0, len(weights)])
    )
    assert cents.tolist() == expected


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**13),
            st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=40),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_allocate_cents_sums_exactly_and_stays_within_a_cent(journeys):
    amounts = np.array([a for a, _ in journeys], dtype=np.int64)
    weights = np.concatenate([np.array(w) for _, w in journeys])
    offsets = np.concatenate([[0], np.cumsum([len(w) for _, w in journeys])])
    cents = allocate_cents(amounts, weights, offsets)
    for i, (amount, w) in enumerate(journeys):
        part = cents[offsets[i] : offsets[i + 1]]
        assert part.sum() == amount
        assert (part >= 0).all()
        w = np.array(w) if sum(w) > 0 else np.ones(len(w))
        ideal = amount * w / w.sum()
        assert np.all(np.abs(part - ideal) < 1.0 + 1e-6 * amount)
