"""Pure parsing: values, files as they come (encodings, delimiters, quoting), mappings, rows."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tandem.ingest import csvfile, values
from tandem.ingest.fields import get_kind
from tandem.ingest.mapping import Mapping, MappingError, parse_mapping, profile_mapping
from tandem.ingest.rows import RowMapper, plan_columns


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("1.234,50", Decimal("1234.50")),
        ("1 234", Decimal("1234")),
        ("$1,200", Decimal("1200")),
        ("EUR 30", Decimal("30")),
        ("12,5", Decimal("12.5")),
        ("1.234.567", Decimal("1234567")),
        ("(50)", Decimal("-50")),
        ("1'000.5", Decimal("1000.5")),
    ],
)
def test_decimal_separators(raw, expected):
    assert values.decimal(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2018-02-26 19:58:54", datetime(2018, 2, 26, 19, 58, 54, tzinfo=UTC)),
        ("2018-02-26T19:58:54Z", datetime(2018, 2, 26, 19, 58, 54, tzinfo=UTC)),
        ("2018-02-26T21:58:54+02:00", datetime(2018, 2, 26, 19, 58, 54, tzinfo=UTC)),
        ("2/26/2018", datetime(2018, 2, 26, tzinfo=UTC)),
        ("2/26/2018 7:58 PM", datetime(2018, 2, 26, 19, 58, tzinfo=UTC)),
        ("26.02.2018", datetime(2018, 2, 26, tzinfo=UTC)),
        ("2018/02/26", datetime(2018, 2, 26, tzinfo=UTC)),
        ("26 Feb 2018", datetime(2018, 2, 26, tzinfo=UTC)),
        ("1519675134000", datetime(2018, 2, 26, 19, 58, 54, tzinfo=UTC)),
    ],
)
def test_datetime_formats(raw, expected):
    assert values.parse_datetime(raw) == expected


def test_explicit_date_format_wins_and_bad_dates_say_why():
    assert values.parse_date("03/04/2024", ("%d/%m/%Y",)) == date(2024, 4, 3)
    with pytest.raises(ValueError, match="not a date"):
        values.parse_datetime("2018-02-30")
    with pytest.raises(ValueError, match="not a date"):
        values.parse_datetime("yesterday")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/pricing", "acme.com"),
        ("eu.shop.acme.co.uk", "acme.co.uk"),
        ("jo@sales.acme.com.br", "acme.com.br"),
        ("acme.io:8080", "acme.io"),
    ],
)
def test_domains_are_normalised(raw, expected):
    assert values.domain(raw) == expected


def test_free_mail_never_is_a_company_domain_and_emails_normalise():
    assert values.company_domain("ana@gmail.com") is None
    assert values.company_domain("ana@acme.com") == "acme.com"
    assert values.email(" Mailto:Ana@Acme.COM ") == "ana@acme.com"
    for bad in ("ana@", "ana.acme.com", "ana@acme", "a b@acme.com", "ana@@acme.com"):
        with pytest.raises(ValueError):
            values.email(bad)


CONTENT = "email;name;amount\nana@acme.com;Ana Müller;1.234,50\n"


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        (CONTENT.encode("utf-8"), "utf-8", ";"),
        (b"\xef\xbb\xbf" + CONTENT.encode("utf-8"), "utf-8-sig", ";"),
        (CONTENT.encode("latin-1"), "cp1252", ";"),
        (CONTENT.replace(";", ",").replace("1.234,50", '"1,234.50"').encode(), "utf-8", ","),
        (CONTENT.replace(";", "\t").encode("utf-16"), "utf-16", "\t"),
        (CONTENT.replace(";", "|").encode(), "utf-8", "|"),
    ],
    ids=["utf8", "bom", "latin1", "comma", "utf16-tab", "pipe"],
)
def test_files_as_they_come(tmp_path, data, encoding, delimiter):
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    info = csvfile.inspect_file(path)
    assert (info.encoding, info.delimiter) == (encoding, delimiter)
    rows = list(csvfile.records(info))
    assert rows[0] == (1, ["email", "name", "amount"])
    assert rows[1][1][1] == "Ana Müller"
    assert values.decimal(rows[1][1][2]) == Decimal("1234.50")


def test_quoted_newlines_keep_line_numbers(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('email,note\r\na@x.io,"two\r\nlines"\r\n\r\nb@x.io,plain\r\n', newline="")
    rows = list(csvfile.records(csvfile.inspect_file(path)))
    assert [line for line, _ in rows] == [1, 2, 5]
    assert rows[1][1] == ["a@x.io", "two\r\nlines"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04rest-of-zip", "xlsx"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\x00\x01\x02binary", "NUL"),
        (b"", "empty"),
    ],
)
def test_not_csv_is_one_clear_reason(tmp_path, data, reason):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    with pytest.raises(csvfile.NotCsv, match=reason):
        csvfile.inspect_file(path)


def test_invalid_utf8_falls_back_and_says_which_line(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(b"email,name\na@x.io,Ana\nb@x.io,Jos\xe9\n")
    info = csvfile.inspect_file(path)
    assert info.encoding == "cp1252" and "line 3" in info.notes[0]
    assert list(csvfile.records(info))[2][1][1] == "José"


def test_mapping_errors_name_file_and_line():
    text = "kind: contacts\ncolumns:\n  E-mail: email\n  Name: full_name\ndate_formats: ['dd.mm']\n"
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, "m.yaml", "contacts")
    lines = [str(i) for i in caught.value.issues]
    assert lines[0].startswith("m.yaml:4: error: columns.Name: unknown field 'full_name'")
    assert lines[1].startswith("m.yaml:5: error: date_formats[0]:")
    with pytest.raises(MappingError, match="m.yaml:2"):
        parse_mapping("kind: contacts\ncolumnz: {}\n", "m.yaml", "contacts")


@pytest.mark.parametrize("profile", ["hubspot", "salesforce", "olist", "maven-crm"])
def test_builtin_profiles_load_for_their_kinds(profile):
    from tandem.ingest.mapping import profile_kinds

    kinds = profile_kinds(profile)
    assert kinds
    for kind in kinds:
        assert isinstance(profile_mapping(profile, kind), Mapping)


def _mapper(header, kind="contacts", profile="hubspot"):
    spec = get_kind(kind)
    mapping = profile_mapping(profile, kind)
    return RowMapper(spec, mapping, plan_columns(header, mapping, spec))


def test_hubspot_contact_row_maps_stage_and_channel():
    header = ["Record ID", "Email", "Lifecycle Stage", "Original Source", "Create Date", "Notes"]
    mapper = _mapper(header)
    assert mapper.plan.unknown == ("Notes",)
    record, errors = mapper(
        2, ["17", "Ana@Acme.com", "Marketing Qualified Lead", "Paid Social", "2024-01-15 10:23", ""]
    )
    assert errors == []
    assert record["email"] == "ana@acme.com" and record["lifecycle_stage"] == "mql"
    assert record["first_touch_source"] == "paid_social" and record["external_id"] == "17"


@pytest.mark.parametrize(
    ("values_", "field", "reason"),
    [
        (["1", "not-an-email", "Lead", "", "2024-01-15"], "email", "not a valid email"),
        (["1", "a@x.io", "Lead", "", "15th of Jan"], "created_at", "not a date"),
        (["1", "a@x.io", "Wizard", "", "2024-01-15"], "lifecycle_stage", "not one of"),
        (["1", "a@x.io", "Lead", ""], None, "has 4 fields, the header has 5"),
        (["1", "", "Lead", "", ""], "email", "required value is missing"),
    ],
)
def test_bad_values_name_line_field_and_reason(values_, field, reason):
    mapper = _mapper(["Record ID", "Email", "Lifecycle Stage", "Original Source", "Create Date"])
    record, errors = mapper(7, values_)
    assert record is None and errors[0].line == 7 and errors[0].field == field
    assert reason in errors[0].reason


def test_negative_amount_and_missing_required_columns_are_named():
    mapper = _mapper(["Deal Name", "Deal Stage", "Amount"], "opportunities")
    record, errors = mapper(3, ["Big one", "Closed Won", "-5"])
    assert errors[0].field == "amount" and errors[0].reason == "must not be negative"
    plan = plan_columns(
        ["Name", "Phone"], profile_mapping("hubspot", "contacts"), get_kind("contacts")
    )
    assert plan.missing == ("email (expected a column named 'Email')",)
