"""bench/content_bench.py at a tiny size: its world, and our influence equal to its pandas one."""

import importlib


def test_the_bench_runs_and_agrees_with_pandas(repo_root, monkeypatch):
    monkeypatch.syspath_prepend(str(repo_root / "bench"))
    bench = importlib.import_module("content_bench")
    world = bench.world(0.0005)
    result, touched = bench.influence_all(world)
    assert result.credited_deals > 0 and touched.height > 0
    theirs = bench.pandas_influence(world)["linear"]
    ours = dict(result.by_asset.select("asset_id", "linear").iter_rows())
    assert set(theirs) <= set(ours)
    assert max(abs(ours[k] / 100 - v) for k, v in theirs.items()) < 1.0  # cents vs floats
