"""The Parquet copy of the facts: used only for the same data and the same format."""

import json

from polars.testing import assert_frame_equal

from tandem.analytics.store import FactsStore
from tests.analytics.frames_support import T, facts


def test_round_trip_and_refusals(tmp_path):
    f = facts([{"contact_id": 1, "channel": "email"}], [(1, None, "mql", T)], [{"amount": 5.0}])
    store = FactsStore(tmp_path)
    store.save(f, (1, 2, None))
    back = store.load((1, 2, None))
    assert back is not None and back.known == f.known and back.loaded_at == f.loaded_at
    for name in ("contacts", "stays", "opportunities", "rollup"):
        assert_frame_equal(getattr(back, name), getattr(f, name))
    assert store.load((1, 3, None)) is None  # the data changed since
    meta = json.loads((tmp_path / "facts.json").read_text())
    (tmp_path / "facts.json").write_text(json.dumps({**meta, "format": 0}))
    assert store.load((1, 2, None)) is None  # written by another version of Tandem
