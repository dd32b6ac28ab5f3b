"""The facts cache re-reads in the background when the store changes, then runs its hook
(the stored attribution's incremental refresh); a failing hook never stops the refresh."""

import contextlib
import time

from tandem.analytics import cache as cache_module
from tandem.analytics.cache import FactsCache


def test_background_refresh_runs_the_hook_once_per_change(monkeypatch):
    prints = iter(["a", "b", "b", "c", "c"])
    monkeypatch.setattr(cache_module, "fingerprint", lambda db_session: next(prints))
    monkeypatch.setattr(cache_module, "load_facts", lambda db_session, loaded_at: object())
    calls = []

    def hook():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")

    cache = FactsCache(
        refresh_seconds=0,
        background=True,
        session_factory=contextlib.nullcontext,
        on_change=hook,
    )
    first = cache.get(None)  # the first read is in the request: no hook
    assert calls == []

    def wait():
        deadline = time.time() + 5
        while cache._rebuilding and time.time() < deadline:
            time.sleep(0.01)

    cache.get(None)  # "b": serves the old copy (or the new one, if already read) and re-reads
    wait()
    assert calls == [1]
    second = cache.get(None)  # "b" again: no change, no hook
    assert second is not first and calls == [1]
    cache.get(None)  # "c": the hook fails, the facts are still refreshed
    wait()
    assert len(calls) == 2 and cache.get(None) is not second
