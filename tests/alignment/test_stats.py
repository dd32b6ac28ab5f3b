"""The gap statistics against scipy's own implementations, and their invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from tandem.alignment import stats

answers = st.lists(st.integers(1, 5), min_size=3, max_size=60)


@settings(max_examples=200, deadline=None)
@given(x=answers, y=answers)
def test_mann_whitney_equals_scipy(x, y):
    a, b = np.array(x, float), np.array(y, float)
    u, p = stats.mann_whitney(a, b)
    if len(set(x + y)) == 1:
        assert p == 1.0  # every answer the same: no evidence of a difference
        return
    ref = sps.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    assert u == pytest.approx(ref.statistic, abs=1e-9)
    assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
    assert stats.mann_whitney(b, a)[1] == pytest.approx(p, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(x=answers, y=answers)
def test_welch_interval_equals_scipy(x, y):
    a, b = np.array(x, float), np.array(y, float)
    d, low, high = stats.welch_interval(a, b)
    assert d == pytest.approx(a.mean() - b.mean())
    if a.var() == 0 and b.var() == 0:
        assert low == high == d
        return
    ref = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (low, high) == (pytest.approx(ref.low, rel=1e-9), pytest.approx(ref.high, rel=1e-9))
    assert low <= d <= high


@settings(max_examples=200, deadline=None)
@given(p=st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_benjamini_hochberg_equals_scipy(p):
    q = stats.benjamini_hochberg(p)
    assert q == pytest.approx(list(sps.false_discovery_control(p, method="bh")), abs=1e-12)
    assert all(qi >= pi - 1e-12 for qi, pi in zip(q, p, strict=True))


def test_rwg_is_one_for_consensus_and_zero_for_a_split_team():
    assert stats.rwg(np.array([4.0] * 10), 5) == 1.0
    assert stats.rwg(np.array([1.0, 5.0] * 5), 5) == 0.0
    x = np.array([3, 4, 4, 4, 5, 4], float)
    assert stats.rwg(x, 5) == pytest.approx(1 - x.var(ddof=1) / 2.0)
    assert stats.rwg(np.array([3.0]), 5) is None


@settings(max_examples=100, deadline=None)
@given(x=answers, y=answers)
def test_effect_size_is_the_rank_biserial(x, y):
    a, b = np.array(x, float), np.array(y, float)
    t = stats.compare(a, b)
    greater = (a[:, None] > b[None, :]).mean()
    less = (a[:, None] < b[None, :]).mean()
    assert t.effect == pytest.approx(greater - less, abs=1e-9)
