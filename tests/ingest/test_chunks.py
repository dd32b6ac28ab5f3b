"""The chunked reader yields exactly what `csvfile.records` yields: records, values, lines."""

import codecs

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.ingest import csvfile
from tandem.ingest.chunks import LINE, FrameReader, column


def _read_all(path, rows):
    reader = FrameReader(csvfile.inspect_file(path))
    if reader.header is None:
        return [], []
    out, frames = [reader.header], []
    for chunk in reader.chunks(rows):
        records = []
        for row in chunk.frame.iter_rows(named=True):
            values = ["" if row[column(i)] is None else row[column(i)] for i in range(reader.width)]
            records.append((row[LINE], values))
        records += chunk.ragged
        records.sort()
        assert [chunk.values(line) for line, _ in records] == [v for _, v in records]
        assert chunk.size == len(records) and chunk.last_line == records[-1][0]
        out += records
        frames.append(chunk.frame.height)
    return out, frames


def _expected(path):
    return list(csvfile.records(csvfile.inspect_file(path)))


CELLS = st.text(alphabet='ab ,;"\n\r\té', max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(CELLS, min_size=1, max_size=4), min_size=1, max_size=12),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
    st.integers(1, 5),
    st.sampled_from([",", ";"]),
)
def test_chunked_reader_matches_python_csv(tmp_path_factory, rows, newline, quote_all, size, sep):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=sep,
        lineterminator=newline,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("c") / "f.csv"
    path.write_bytes(buffer.getvalue().encode())
    if not buffer.getvalue().strip():
        return
    try:
        expected = _expected(path)
    except csvfile.NotCsv:
        return
    assert _read_all(path, size)[0] == expected


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet='ab,"\n\r x', min_size=1, max_size=40), st.integers(1, 4))
def test_irregular_bytes_read_like_python_csv(tmp_path_factory, text, size):
    path = tmp_path_factory.mktemp("c") / "f.csv"
    path.write_bytes(text.encode())
    try:
        expected = _expected(path)
    except (csvfile.NotCsv, Exception):
        return
    assert _read_all(path, size)[0] == expected


def test_encodings_blank_lines_and_big_chunks(tmp_path, monkeypatch):
    from tandem.ingest import chunks

    monkeypatch.setattr(chunks, "READ_BYTES", 64)  # many reads per chunk
    body = "email;name\r\n" + "".join(f"p{i}@x.io;Jos\u00e9 {i}\r\n" for i in range(200))
    body += "\r\n;\r\n" + 'q@x.io;"two\r\nlines"\r\n' + "tail@x.io;T"
    for encoding in ("utf-8", "utf-8-sig", "cp1252", "utf-16"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(body.encode(encoding))
        records, frames = _read_all(path, 50)
        assert records == _expected(path)
        assert records[-1] == (206, ["tail@x.io", "T"]) and records[-2][0] == 204
        assert frames[:4] == [50, 50, 50, 50]
    assert codecs.lookup("utf-16")
