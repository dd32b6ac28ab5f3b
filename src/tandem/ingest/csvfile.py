"""Reading CSV files as they come: encoding, delimiter, BOM, quoted newlines, line numbers.

`inspect_file` makes one pass over the bytes (sha256, UTF-8 validity, binary sniffing) and
settles the encoding and delimiter; `records` then yields every record with the line it starts
on, so each problem can be reported as file:line even when quoted fields span lines.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
REPLACEMENT = "\ufffd"
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx workbook? export it as CSV)",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office file (.xls: export it as CSV)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip file (decompress it first)",
    b"SQLite format 3": "a SQLite database",
}
_LATIN1_FALLBACK = "tandem-cp1252-latin1"


class NotCsv(ValueError):
    """The file cannot be read as CSV at all (binary, empty...): one reason, no traceback."""


@dataclass
class FileInfo:
    """What `inspect_file` found: identity, size, encoding, delimiter and notes for the report."""

    path: Path
    size: int
    sha256: str
    encoding: str
    delimiter: str
    strict_encoding: bool = True
    notes: list[str] = field(default_factory=list)


def _register_fallback() -> None:
    # Windows-1252 leaves five bytes undefined; Latin-1 maps every byte, so no byte is lost.
    try:
        codecs.lookup_error(_LATIN1_FALLBACK)
    except LookupError:
        codecs.register_error(
            _LATIN1_FALLBACK, lambda e: (e.object[e.start : e.end].decode("latin-1"), e.end)
        )


def inspect_file(
    path: str | Path, encoding: str | None = None, delimiter: str | None = None
) -> FileInfo:
    """Hash the file, check it is text, pick its encoding (given, BOM, UTF-8 or Windows-1252 /
    Latin-1) and delimiter (given or sniffed among , ; tab |)."""
    path = Path(path)
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    bad_utf8_at: int | None = None
    newlines = 0
    head = b""
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            if not head:
                head = block
                _refuse_binary(block)
            digest.update(block)
            if bad_utf8_at is None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    bad_utf8_at = newlines + block[: exc.start].count(b"\n") + 1
                newlines += block.count(b"\n")
            size += len(block)
    if size == 0 or not head.strip():
        raise NotCsv("the file is empty")
    notes: list[str] = []
    strict = True
    if encoding is None:
        encoding = _detect_encoding(head, bad_utf8_at)
        if bad_utf8_at is not None and encoding == "cp1252":
            notes.append(
                f"not valid UTF-8 (line {bad_utf8_at}): read as Windows-1252/Latin-1; "
                "set `encoding:` in a mapping if that is wrong"
            )
    name = codecs.lookup(encoding).name
    if (name in ("utf-8", "utf-8-sig") and bad_utf8_at is not None) or name.startswith("utf-16"):
        strict = False  # rows with undecodable bytes are quarantined, the rest imported
    text = _decode_head(head, encoding)
    sniffed = _sniff_delimiter(text)
    if delimiter is None:
        delimiter = sniffed
    elif sniffed != delimiter and _width(text, delimiter) == 1:
        notes.append(
            f"delimiter {delimiter!r} gives one column; the file looks {sniffed!r}-separated"
        )
    return FileInfo(path, size, digest.hexdigest(), encoding, delimiter, strict, notes)


def _refuse_binary(head: bytes) -> None:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise NotCsv(f"not a CSV file: it is {what}")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    # Binary data has NUL bytes everywhere; a stray one in a text file is its row's problem
    # (quarantined wherever it is: `rows.validate_record`), not the whole file's.
    sample = head[:65536]
    if sample.count(b"\x00") * 100 > len(sample):
        raise NotCsv("not a CSV file: it contains binary data (NUL bytes)")


def _detect_encoding(head: bytes, bad_utf8_at: int | None) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" export
    return "utf-8" if bad_utf8_at is None else "cp1252"


def _decode_head(head: bytes, encoding: str) -> str:
    _register_fallback()
    text = head[: 256 * 1024].decode(encoding, errors=_errors(encoding, strict=False))
    return text[: text.rfind("\n") + 1] if "\n" in text else text


def _errors(encoding: str, strict: bool) -> str:
    if codecs.lookup(encoding).name == "cp1252":
        return _LATIN1_FALLBACK
    return "strict" if strict else "replace"


def _width(text: str, delimiter: str) -> int:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return len(next(reader, []))


def _sniff_delimiter(text: str) -> str:
    """The candidate whose header has several columns and most rows agree with the header."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[:200]
        except csv.Error:
            continue
        rows = [r for r in rows if r]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        agree = sum(len(r) == width for r in rows[1:]) / max(1, len(rows) - 1)
        score = (agree, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def records(info: FileInfo, progress: list[int] | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line, values) for every non-blank record, header included.

    `progress[0]` is kept at the byte offset read so far (for progress bars).
    """
    _register_fallback()
    csv.field_size_limit(16 * 1024 * 1024)
    raw = info.path.open("rb")
    errors = _errors(info.encoding, strict=info.strict_encoding)
    with io.TextIOWrapper(raw, encoding=info.encoding, errors=errors, newline="") as text:
        reader = csv.reader(text, delimiter=info.delimiter)
        previous = 0
        for values in reader:
            line = previous + 1
            previous = reader.line_num
            if progress is not None:
                progress[0] = raw.tell()
            if values and (len(values) > 1 or values[0].strip()):
                yield line, values
