"""The frame path accepts a record only when the row path accepts it with the same values."""

import csv
import io
from datetime import UTC, datetime

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.ingest import csvfile
from tandem.ingest.chunks import FrameReader
from tandem.ingest.fields import get_kind
from tandem.ingest.frames import FrameMapper, dedupe_keys, records
from tandem.ingest.mapping import Mapping, profile_mapping
from tandem.ingest.rows import RowMapper, plan_columns

EMAILS = st.sampled_from(
    ["ana@acme.com", " Bo@Acme.COM ", "mailto:cy@x.io", "bad@", "a..b@x.io", "", "d@x.co.uk"]
)
MOMENTS = st.sampled_from(
    ["2024-01-02", "2024-01-02 10:00", "2024-01-02T10:00:00Z", "2024-01-02T10:00:00.5+02:00",
     "2/26/2018 7:58 PM", "26.02.2018", "1519675134000", "1519675134", "2018-02-30", "1850-01-01",
     "yesterday", "", " 2024-03-01T23:59:59.123456-01:30 ", "9999999999999", "2024-01-02T24:00"]
)  # fmt: skip
STAGES = st.sampled_from(["Lead", "Marketing Qualified Lead", "customer", "Wizard", "", "  "])
TEXT = st.text(alphabet='ab \t\x1cé,"', max_size=8)
MONEY = st.sampled_from(["100", "1,500.00", "-3", "12,5", "$1,200", "abc", "", "0.5", "-0"])
TYPES = st.sampled_from(["web_visit", "Web Visit", "email-click", "teleportation", ""])


def _rows_path(kind, mapping, header, body, tmp):
    path = tmp / "f.csv"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *body])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    spec = get_kind(kind)
    info = csvfile.inspect_file(path)
    reader = FrameReader(info)
    plan = plan_columns(reader.header[1], mapping, spec)
    frame_mapper = FrameMapper(spec, mapping, plan, info.strict_encoding)
    row_mapper = RowMapper(spec, mapping, plan)
    expected = {line: row_mapper(line, values) for line, values in csvfile.records(info)}
    expected.pop(reader.header[0])
    accepted = {}
    unsure = []
    for chunk in reader.chunks(4):
        mapped = frame_mapper(chunk.frame)
        accepted.update(dict(records(mapped.frame, spec.json_prefix)))
        unsure += mapped.unsure + [line for line, _ in chunk.ragged]
        keys = dedupe_keys(spec, mapped.frame).to_list()
        for (line, _), key in zip(records(mapped.frame, spec.json_prefix), keys, strict=True):
            assert key == spec.key_of(expected[line][0])
    assert sorted([*accepted, *unsure]) == sorted(expected)
    for line, record in accepted.items():
        want = expected[line][0]
        assert want is not None, (line, expected[line])
        assert record == want
    return accepted, unsure


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(EMAILS, STAGES, MOMENTS, TEXT, MONEY), min_size=1, max_size=9))
def test_hubspot_contacts_agree_with_the_row_path(tmp_path, body):
    header = ["Email", "Lifecycle Stage", "Create Date", "First Name", "budget"]
    _rows_path("contacts", profile_mapping("hubspot", "contacts"), header, body, tmp_path)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(EMAILS, TYPES, MOMENTS, TEXT, TEXT), min_size=1, max_size=9))
def test_activities_agree_with_the_row_path(tmp_path, body):
    header = ["contact_email", "type", "occurred_at", "url", "properties.note"]
    _rows_path("activities", Mapping(), header, body, tmp_path)


def test_templates_defaults_and_profiles(tmp_path):
    mapping = profile_mapping("olist", "contacts")
    header = ["mql_id", "first_contact_date", "landing_page_id", "origin"]
    body = [["m1", "2018-02-01", "lp", "paid search"], ["m2", "2018-02-02", "", "unknown"],
            ["", "2018-02-03", "lp", "social"]]  # fmt: skip
    accepted, unsure = _rows_path("contacts", mapping, header, body, tmp_path)
    assert accepted[2]["email"] == "mql-m1@leads.olist.invalid"
    assert accepted[2]["first_touch_source"] == "paid_search" and unsure == [4]
    assert accepted[3]["created_at"] == datetime(2018, 2, 2, tzinfo=UTC)


def test_activity_keys_match_the_row_path(tmp_path):
    body = [["a@x.io", "web_visit", "2024-03-01 10:00:00.250", "https://x.io", "Spring"]]
    accepted, _ = _rows_path(
        "activities", Mapping(), ["contact_email", "type", "occurred_at", "url", "campaign"],
        body, tmp_path,
    )  # fmt: skip
    assert accepted[2]["idempotency_key"].startswith("h:")
    assert pl.__version__
