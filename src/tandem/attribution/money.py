"""Money maths: amounts are whole cents, credits are split by largest remainder.

Attribution weights are floats, but credits are money: a journey's credits must add up to its
amount exactly, to the cent. We therefore work in integer cents, count weights in whole units
(`weight_units`, so the split is the same whatever order an engine adds them in) and round
every journey's split with the largest-remainder (Hamilton) method: floor every share, then
hand the cents left over to the touches with the largest fractional parts (ties: the earlier
touch). The whole split is vectorised over all journeys at once.
"""

from decimal import Decimal

import numpy as np

CENT = Decimal("0.01")


def to_cents(amount: Decimal | int) -> int:
    """Whole cents in `amount`; raises ValueError when it holds a fraction of a cent."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"amount must be Decimal or int, not {type(amount).__name__}")
    cents = Decimal(amount) * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {amount} is not a whole number of cents")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    """The Decimal amount of `cents` cents, with two decimal places."""
    return Decimal(int(cents)).scaleb(-2).quantize(CENT)


def allocate_cents(
    amount_cents: np.ndarray, weights: np.ndarray, offsets: np.ndarray
) -> np.ndarray:
    """Split each journey's amount over its touches in proportion to `weights`, exactly.

    `offsets` (length journeys + 1) delimits each journey's touches in `weights`. Weights need
    not be normalised; a journey whose weights are all zero is split equally (credit is never
    lost). Returns int64 cents per touch; per journey they sum to `amount_cents` exactly.
    """
    n_journeys = len(amount_cents)
    lengths = np.diff(offsets)
    journey = np.repeat(np.arange(n_journeys), lengths)
    units = weight_units(np.asarray(weights, dtype=np.float64), offsets)
    totals = np.zeros(n_journeys, dtype=np.int64)  # integers: exact in any order
    if len(units):
        touched = lengths > 0
        totals[touched] = np.add.reduceat(units, offsets[:-1][touched])
    amount = np.asarray(amount_cents, dtype=np.int64)
    sign = np.where(amount < 0, -1, 1)
    magnitude = np.abs(amount)
    raw = magnitude[journey] * (units.astype(np.float64) / totals[journey].astype(np.float64))
    floors = np.floor(raw)
    fraction = raw - floors
    cents = floors.astype(np.int64)
    left = magnitude - np.bincount(journey, cents, minlength=n_journeys).astype(np.int64)
    cents += _hand_out(left, fraction, journey, offsets, cents)
    return cents * sign[journey]


#: Weights are counted in units of 2^-40 of the journey's largest weight.
UNITS = 2.0**40


def weight_units(weights: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Each weight as a whole number (int64) of units of 2^-40 of its journey's largest,
    rounded half up; a journey with no positive weight gets 1 each (an equal split).

    Integer sums are exact in any order, so every engine adding up a journey's weights
    (`tandem.engines.attribution_sql` in SQL, in parallel) gets the same total and the same
    cents; float sums of the raw weights differ in the last bit between orders, enough to move
    a cent. The rounding moves a share by at most 2^-41 of the amount (0.05 cents of a
    billion); totals stay exact up to 2^23 touches in one journey.
    """
    weights = np.clip(weights, 0.0, None)
    lengths = np.diff(offsets)
    peak = np.zeros(len(lengths))
    if len(weights):
        touched = lengths > 0
        peak[touched] = np.maximum.reduceat(weights, offsets[:-1][touched])
    largest = np.repeat(peak, lengths)
    ratio = np.divide(weights, largest, out=np.zeros_like(weights), where=largest > 0)
    return np.where(largest > 0, np.floor(ratio * UNITS + 0.5), 1.0).astype(np.int64)


def _hand_out(
    left: np.ndarray,
    fraction: np.ndarray,
    journey: np.ndarray,
    offsets: np.ndarray,
    cents: np.ndarray,
) -> np.ndarray:
    """+1 cent to the `left` largest fractions of each journey (-1 from the smallest if negative).

    `left` is negative only when float error pushed the floors above the amount; then we take
    cents back from the touches with the smallest fractions that still hold a cent.
    """
    bump = (_rank_within(journey, offsets, 1.0 - fraction) < left[journey]).astype(np.int64)
    if (left < 0).any():
        owed = np.maximum(-left, 0)
        key = np.where(cents > 0, fraction, 1.0)
        bump -= (_rank_within(journey, offsets, key) < owed[journey]).astype(np.int64)
    return bump


def _rank_within(journey: np.ndarray, offsets: np.ndarray, key: np.ndarray) -> np.ndarray:
    """0-based rank of each touch within its journey by ascending `key` in [0, 1], ties by order.

    One stable argsort of an int64 packing (journey, key to 2^-32) is several times faster than
    a lexsort; keys closer than 2^-32 count as ties and go to the earlier touch.
    """
    quantised = np.minimum(key * 2.0**32, 2.0**32 - 1).astype(np.int64)
    order = np.argsort((journey.astype(np.int64) << 32) | quantised, kind="stable")
    rank = np.empty(len(key), dtype=np.int64)
    rank[order] = np.arange(len(key)) - offsets[journey[order]]
    return rank
