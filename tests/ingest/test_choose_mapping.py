"""The page's column choices as a mapping (hypothesis): whatever is chosen, either every chosen
column feeds its own field and nothing else is read, or the refusal names the column."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.ingest import browser
from tandem.ingest.fields import get_kind
from tandem.ingest.mapping import Mapping, MappingError
from tandem.ingest.rows import plan_columns

FIELDS = browser.field_names("contacts")
HEADER = ["E-mail", "First Name", "Company", "Notes", "Owner"]


@given(st.lists(st.sampled_from([browser.IGNORE, *FIELDS, "shoe_size"]), min_size=5, max_size=5))
def test_choices_map_each_column_once_or_are_refused_naming_it(choices):
    try:
        mapping = browser.choose(Mapping(), HEADER, choices, "contacts")
    except MappingError as exc:
        bad = [i.loc[1] for i in exc.issues]
        assert bad and set(bad) <= set(HEADER)
        picked = [c for c in choices if c != browser.IGNORE]
        assert "shoe_size" in choices or len(set(picked)) < len(picked)
        return
    plan = plan_columns(HEADER, mapping, get_kind("contacts"))
    wanted = {c: HEADER.index(col) for col, c in zip(HEADER, choices, strict=True) if c}
    assert {name: idx[0] for name, idx in plan.sources.items()} == wanted
    assert not plan.unknown  # an ignored column is left out, not reported unknown


def test_a_choice_per_column_is_required():
    with pytest.raises(MappingError, match="each of the 5 columns"):
        browser.choose(Mapping(), HEADER, ["email"], "contacts")
