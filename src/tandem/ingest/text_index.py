"""Ids by exact text, for a lookup repeated chunk after chunk against the same large map.

A big activities import looks up each chunk's contact emails (up to 200,000) among every
contact (1M and more). A hash join builds its table over the whole map each time (35 s of a
20M-row load); this index hashes the map once, keeps the hashes sorted, and answers a chunk by
one binary search per email. Every hit is checked against the text itself, so two texts that
share a 64-bit hash never mix up: those rare rows are answered by a join.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_SEED = 23


class TextIndex:
    """`id` by `key` text; add pairs as they become known, look up a Series at a time."""

    def __init__(self) -> None:
        self.keys = pl.Series("key", [], dtype=pl.String)
        self.ids = np.zeros(0, dtype=np.int64)
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None  # hashes, their positions

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, keys: pl.Series, ids: pl.Series) -> None:
        """Remember `ids[i]` for `keys[i]` (a key added twice answers its first id)."""
        if keys.len() == 0:
            return
        self.keys = pl.concat([self.keys, keys.cast(pl.String).rename("key")], rechunk=False)
        if self.keys.n_chunks() > 64:
            self.keys = self.keys.rechunk()
        self.ids = np.concatenate([self.ids, ids.cast(pl.Int64).to_numpy()])
        self._sorted = None

    def replace(self, keys: pl.Series, ids: pl.Series) -> None:
        """Forget every pair, then `add` these."""
        self.__init__()  # type: ignore[misc]
        self.add(keys, ids)

    def lookup(self, keys: pl.Series) -> pl.Series:
        """The id of each of `keys`, null where unknown (or null)."""
        if len(self.ids) == 0 or keys.len() == 0:
            return pl.Series("id", [None] * keys.len(), dtype=pl.Int64)
        hashes, order = self._index()
        wanted = _hash(keys.cast(pl.String))
        # Searched in hash order: the binary searches then walk the array in order (2.5x
        # faster than at random for 200,000 keys among 1M).
        asked = np.argsort(wanted)
        at = np.empty(len(wanted), dtype=np.int64)
        at[asked] = np.minimum(np.searchsorted(hashes, wanted[asked]), len(hashes) - 1)
        position = order[at]
        same_hash = hashes[at] == wanted
        exact = (self.keys.gather(position) == keys).fill_null(False).to_numpy() & same_hash
        found = pl.Series("id", self.ids[position]).zip_with(
            pl.Series(exact), pl.Series([None], dtype=pl.Int64)
        )
        clash = same_hash & ~exact & keys.is_not_null().to_numpy()
        if clash.any():  # another key with the same hash sorted first: ask the whole map
            pairs = pl.DataFrame({"key": self.keys, "id": self.ids}).unique("key", keep="first")
            asked = keys.to_frame("key").with_row_index("_at").filter(pl.Series(clash))
            answered = asked.join(pairs, on="key", how="inner")
            found = found.scatter(answered["_at"], answered["id"])
        return found

    def _index(self) -> tuple[np.ndarray, np.ndarray]:
        if self._sorted is None:
            hashes = _hash(self.keys)
            order = np.argsort(hashes, kind="stable")  # equal hashes: the first added first
            self._sorted = (hashes[order], order)
        return self._sorted


def _hash(keys: pl.Series) -> np.ndarray:
    return keys.hash(seed=_SEED).to_numpy()
