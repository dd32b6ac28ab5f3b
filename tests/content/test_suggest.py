"""Next best content: sequence rules from won deals, explained, beating "most popular"."""

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from tandem.content.suggest import ALL, backtest, fit, reading_order, rules, suggest

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TRACKS = {"smb": [1, 2, 3, 4, 5], "enterprise": [11, 12, 13, 14, 15]}


def _history(n=400, seed=3):
    """Won deals reading their segment's track in order, each skipping one asset at random,
    plus asset 99 (read by most, at a random moment) and lost deals that read backwards."""
    rng = np.random.default_rng(seed)
    touches, deals = [], []
    for deal in range(1, n + 1):
        segment = "smb" if deal % 2 else "enterprise"
        won = deal % 5 != 0
        closed = T0 + timedelta(days=deal)
        track = [a for a in TRACKS[segment] if a != rng.choice(TRACKS[segment][1:])]
        if not won:
            track = track[::-1]
        times = sorted(rng.uniform(0, 60, len(track)))
        touches += [
            (deal, a, closed - timedelta(days=70 - t)) for a, t in zip(track, times, strict=True)
        ]
        if rng.random() < 0.8:
            touches.append((deal, 99, closed - timedelta(days=float(rng.uniform(1, 70)))))
        deals.append((deal, segment, closed, won))
    return (
        pl.DataFrame(touches, schema=["opportunity_id", "asset_id", "occurred_at"], orient="row"),
        pl.DataFrame(
            deals, schema=["opportunity_id", "segment", "closed_at", "is_won"], orient="row"
        ),
    )


def test_suggests_what_won_deals_read_next_and_explains_it():
    touched, deals = _history()
    model = fit(reading_order(touched, deals))
    out = suggest(model, [1, 2], "smb", {1: "Intro", 2: "Pricing"})
    assert out[0].asset_id == 3 and out[0].after_asset_id in (1, 2)
    assert all(s.asset_id not in (1, 2) for s in out)
    after = out[0].after_asset_id
    n_a = model.seen.filter((pl.col("segment") == "smb") & (pl.col("a") == after))["n_a"][0]
    found = rules(model, pl.DataFrame({"segment": ["smb"], "a": [after]}))
    n_ab = found.filter(pl.col("b") == 3)["n_ab"][0]
    title = {1: "Intro", 2: "Pricing"}[after]
    assert out[0].because == (
        f"{n_ab} of {n_a} won deals in this segment saw it after {title}, "
        "and after 1 other asset seen"  # ranked on the whole path seen, explained by its best rule
    )
    assert len(out) == 3


def test_a_newcomer_gets_the_segments_most_read_and_a_small_segment_borrows_all():
    touched, deals = _history()
    model = fit(reading_order(touched, deals))
    first = suggest(model, [], "enterprise", {})
    # The track's first asset is never skipped: every won enterprise deal read it.
    assert first[0].asset_id == 11 and first[0].after_asset_id is None
    assert first[0].because == "160 of 160 won deals in this segment saw it"
    unknown = suggest(model, [], "nonprofit", {})
    assert "overall" in unknown[0].because
    assert model.deals.filter(pl.col("segment") == ALL)["n"][0] == 320


def test_backtest_beats_most_popular_at_three():
    touched, deals = _history()
    result = backtest(reading_order(touched, deals), T0 + timedelta(days=300))
    assert result.test_deals == 80 and result.train_deals == 240
    # Asset 99 falls anywhere, so the next read is sometimes unpredictable.
    assert result.hit_rate >= 0.7
    assert result.popular_hit_rate < result.hit_rate - 0.2
