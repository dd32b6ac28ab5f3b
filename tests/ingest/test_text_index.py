"""`TextIndex` answers exactly what a dict would, hash clashes included."""

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.ingest import text_index
from tandem.ingest.text_index import TextIndex

texts = st.text(alphabet="ab@.xé", max_size=6)
batches = st.lists(st.lists(st.tuples(texts, st.integers(1, 10**12)), max_size=12), max_size=4)


def _check(added, asked):
    index, truth = TextIndex(), {}
    for batch in added:
        index.add(
            pl.Series([k for k, _ in batch], dtype=pl.String),
            pl.Series([i for _, i in batch], dtype=pl.Int64),
        )
        for key, value in batch:
            truth.setdefault(key, value)  # a key added twice answers its first id
    keys = pl.Series(asked, dtype=pl.String)
    assert index.lookup(keys).to_list() == [truth.get(k) if k is not None else None for k in asked]


@settings(max_examples=150)
@given(batches, st.lists(st.none() | texts, max_size=15))
def test_lookup_equals_a_dict(added, asked):
    _check(added, asked + [k for batch in added for k, _ in batch])


@settings(max_examples=100)
@given(batches, st.lists(st.none() | texts, max_size=15))
def test_lookup_equals_a_dict_when_hashes_clash(added, asked):
    # Two hash values for every text: nearly every lookup meets another key's hash first.
    def clashing(keys):
        return (keys.str.len_bytes().fill_null(0) % 2).cast(pl.UInt64).to_numpy()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(text_index, "_hash", clashing)
        _check(added, asked + [k for batch in added for k, _ in batch])


def test_replace_forgets_what_was_added():
    index = TextIndex()
    index.add(pl.Series(["a@x.io", "b@x.io"]), pl.Series([1, 2]))
    index.replace(pl.Series(["b@x.io"]), pl.Series([7]))
    assert index.lookup(pl.Series(["a@x.io", "b@x.io", None])).to_list() == [None, 7, None]
    assert len(index) == 1
