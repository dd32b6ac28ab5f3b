"""A CSV file as chunks of records in Polars frames, each record with the line it starts on.

NumPy scans the bytes (quote parity) for where records end, the line each starts on and how many
fields it has; Polars parses them. The result is always what `csvfile.records` yields:

- a chunk whose records do not all have the header's width (blank lines, short or long rows, a
  one-column file) is parsed by Python's csv module instead;
- quoting that Python's csv reads differently from RFC 4180 (a quote inside an unquoted field,
  text after a closing quote, a lone CR, a NUL byte) switches the rest of the file to it.

Files in another encoding than UTF-8 are decoded block by block (as `csvfile.records` does) and
re-encoded as UTF-8 for Polars; newlines, hence line numbers, are unchanged.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from tandem.ingest import csvfile

READ_BYTES = 1 << 22
QUOTE, NL, CR, NUL = 34, 10, 13, 0
LINE = "_line"


def column(i: int) -> str:
    """Name of the frame column holding the file's `i`-th column."""
    return f"c{i}"


@dataclass
class Chunk:
    """Consecutive non-blank records of a file (header excluded).

    `frame` has `_line` and `c0..c{width-1}` (String, empty cells null) for the records with the
    header's width; `ragged` has the others as (line, values). `values(line)` gives any record's
    exact values (for quarantine). `read` is the byte offset of the file read so far."""

    frame: pl.DataFrame
    ragged: list[tuple[int, list[str]]]
    read: int
    last_line: int
    size: int
    delimiter: str = ","
    _data: bytes = b""
    _lines: np.ndarray | None = None
    _starts: np.ndarray | None = None
    _ends: np.ndarray | None = None
    _values: dict[int, list[str]] = field(default_factory=dict)

    def values(self, line: int) -> list[str]:
        """The record starting on `line`, as Python's csv module reads it."""
        if line in self._values or self._lines is None:
            return self._values[line]
        i = int(np.searchsorted(self._lines, line))
        text = self._data[int(self._starts[i]) : int(self._ends[i])].decode("utf-8")  # type: ignore[index]
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter), [])


def _blank(values: list[str]) -> bool:
    return not values or (len(values) == 1 and not values[0].strip())


class _Blocks(io.RawIOBase):
    """A readable stream over an iterator of byte blocks (the slow path's csv input)."""

    def __init__(self, first: bytes, rest: Iterable[bytes]) -> None:
        self.pending = first
        self.rest = iter(rest)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            block = next(self.rest, None)
            if block is None:
                return 0
            self.pending = block
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


@dataclass
class _Scan:
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    widths: np.ndarray
    regular: bool


class FrameReader:
    """Reads `info`'s file: `header` (line, values), then `chunks(rows)`."""

    def __init__(self, info: csvfile.FileInfo) -> None:
        csvfile._register_fallback()
        csv.field_size_limit(16 * 1024 * 1024)
        self.info = info
        self.delimiter = info.delimiter
        self.read = 0
        self._source = self._utf8_blocks()
        self._buffer = b""
        self._line_base = 0  # newlines before the buffer's first byte
        self._eof = False
        self._slow = False
        self.header: tuple[int, list[str]] | None = self._find_header()
        self.width = len(self.header[1]) if self.header else 0

    # -- bytes ---------------------------------------------------------------------------
    def _utf8_blocks(self) -> Iterator[bytes]:
        info = self.info
        name = codecs.lookup(info.encoding).name
        with info.path.open("rb") as raw:
            if name in ("utf-8", "utf-8-sig") and info.strict_encoding:
                first = True
                while block := raw.read(READ_BYTES):
                    if first and name == "utf-8-sig" and block.startswith(codecs.BOM_UTF8):
                        block = block[len(codecs.BOM_UTF8) :]
                    first = False
                    self.read = raw.tell()
                    yield block
                return
            errors = csvfile._errors(info.encoding, strict=info.strict_encoding)
            decoder = codecs.getincrementaldecoder(info.encoding)(errors=errors)
            while True:
                block = raw.read(READ_BYTES)
                text = decoder.decode(block, final=not block)
                self.read = raw.tell()
                if text:
                    yield text.encode("utf-8", errors="surrogatepass")
                if not block:
                    return

    def _fill(self) -> bool:
        """Append the next block to the buffer; False at the end of the file."""
        block = next(self._source, None)
        if block is None:
            self._eof = True
            return False
        self._buffer += block
        return True

    # -- scanning ------------------------------------------------------------------------
    def _scan(self) -> _Scan | None:
        """The complete records in the buffer (offsets, first lines, widths) and whether their
        quoting reads the same in Python's csv. None: no complete record yet."""
        buf = self._buffer
        if not buf:
            return None
        arr = np.frombuffer(buf, dtype=np.uint8)
        newlines = np.flatnonzero(arr == NL)
        quotes = np.flatnonzero(arr == QUOTE)
        delimiters = np.flatnonzero(arr == ord(self.delimiter))
        if quotes.size:
            ends = newlines[(np.searchsorted(quotes, newlines) & 1) == 0]
            delimiters = delimiters[(np.searchsorted(quotes, delimiters) & 1) == 0]
        else:
            ends = newlines
        if self._eof and (ends.size == 0 or ends[-1] != len(buf) - 1):
            ends = np.append(ends, len(buf))  # the last record has no final newline
        if ends.size == 0:
            return None
        starts = np.concatenate(([0], ends[:-1] + 1))
        lines = self._line_base + 1 + np.searchsorted(newlines, starts)
        widths = np.searchsorted(delimiters, ends) - np.searchsorted(delimiters, starts) + 1
        regular = self._regular(arr, quotes, int(ends[-1]))
        return _Scan(starts, ends, lines, widths, regular)

    def _regular(self, arr: np.ndarray, quotes: np.ndarray, limit: int) -> bool:
        """True when every quote up to `limit` opens or closes a field the RFC 4180 way and
        there is no lone CR or NUL byte (where Python's csv would read other records)."""
        head = arr[: limit + 1]
        if (head == NUL).any():
            return False
        returns = np.flatnonzero(head == CR)
        if returns.size:
            after = returns + 1
            if after[-1] >= len(arr) or not (arr[after] == NL).all():
                return False
        quotes = quotes[quotes <= limit]
        if quotes.size == 0:
            return True
        delimiter = ord(self.delimiter)
        opening, closing = quotes[0::2], quotes[1::2]
        before = np.where(opening > 0, arr[np.maximum(opening - 1, 0)], NL)
        # An opening quote right after a quote is the second half of `""` in a quoted field.
        if not np.isin(before, (delimiter, NL, QUOTE)).all():
            return False
        after_pos = closing + 1
        after = np.where(after_pos < len(arr), arr[np.minimum(after_pos, len(arr) - 1)], NL)
        return bool(np.isin(after, (delimiter, NL, CR, QUOTE)).all())

    def _consume(self, end: int) -> None:
        """Drop the buffer up to and including offset `end` (a record's final newline)."""
        self._line_base += self._buffer.count(b"\n", 0, end + 1)
        self._buffer = self._buffer[end + 1 :]

    def _complete(self, wanted: int) -> _Scan | None:
        """Scan once at least `wanted` complete records are buffered (or the file has ended)."""
        while True:
            scanned = self._scan()
            if scanned is not None and (self._eof or len(scanned.starts) >= wanted):
                return scanned
            if not self._fill():
                return self._scan()

    # -- header --------------------------------------------------------------------------
    def _find_header(self) -> tuple[int, list[str]] | None:
        while (scanned := self._complete(1)) is not None:
            if not scanned.regular:
                self._slow = True
                self._slow_reader = self._slow_records()
                return next(self._slow_reader, None)
            for start, end, line in zip(scanned.starts, scanned.ends, scanned.lines, strict=True):
                text = self._buffer[int(start) : int(end)].decode("utf-8")
                values = next(
                    csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter), []
                )
                if not _blank(values):
                    self._consume(int(end))
                    return int(line), values
            self._consume(int(scanned.ends[-1]))
        return None

    # -- chunks --------------------------------------------------------------------------
    def chunks(self, rows: int) -> Iterator[Chunk]:
        """Chunks of at most `rows` records, in file order."""
        if self.header is None:
            return
        while not self._slow:
            scanned = self._complete(rows)
            if scanned is None:
                return
            if not scanned.regular:
                self._slow = True
                break
            n = len(scanned.starts)
            full = n if self._eof else n - n % rows
            for first in range(0, full, rows):
                chunk = self._chunk(scanned, first, min(first + rows, full))
                if chunk.size:  # not only blank lines
                    yield chunk
            self._consume(int(scanned.ends[full - 1]))
            if self._eof and not self._buffer:
                return
        yield from self._slow_chunks(rows)

    def _chunk(self, scanned: _Scan, first: int, stop: int) -> Chunk:
        starts, ends = scanned.starts[first:stop], scanned.ends[first:stop]
        lines = scanned.lines[first:stop]
        begin = int(starts[0])
        data = self._buffer[begin : int(ends[-1])]
        if self.width > 1 and (scanned.widths[first:stop] == self.width).all():
            frame = self._polars(data)
            if frame is not None and frame.height == len(lines):
                frame = frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64))
                return Chunk(frame, [], self.read, int(lines[-1]), len(lines), self.delimiter,
                             data, lines, starts - begin, ends - begin)  # fmt: skip
        return self._python_chunk(io.StringIO(data.decode("utf-8"), newline=""), int(lines[0]))

    def _polars(self, data: bytes) -> pl.DataFrame | None:
        try:
            return pl.read_csv(
                io.BytesIO(data),
                has_header=False,
                separator=self.delimiter,
                quote_char='"',
                infer_schema=False,
                new_columns=[column(i) for i in range(self.width)],
                raise_if_empty=False,
            )
        except (pl.exceptions.PolarsError, OSError):
            return None

    def _python_chunk(self, text: io.StringIO, first_line: int) -> Chunk:
        lines: list[int] = []
        rows: list[list[str]] = []
        ragged: list[tuple[int, list[str]]] = []
        values_by_line: dict[int, list[str]] = {}
        reader = csv.reader(text, delimiter=self.delimiter)
        previous = 0
        for values in reader:
            line = first_line + previous
            previous = reader.line_num
            if _blank(values):
                continue
            values_by_line[line] = values
            if len(values) == self.width:
                lines.append(line)
                rows.append(values)
            else:
                ragged.append((line, values))
        last = max(values_by_line, default=first_line)
        return Chunk(self._frame(lines, rows), ragged, self.read, last, len(values_by_line),
                     self.delimiter, _values=values_by_line)  # fmt: skip

    def _frame(self, lines: list[int], rows: list[list[str]]) -> pl.DataFrame:
        columns = {
            column(i): pl.Series([r[i] for r in rows], dtype=pl.String) for i in range(self.width)
        }
        frame = pl.DataFrame(columns, schema={c: pl.String for c in columns})
        frame = frame.with_columns(
            pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)).alias(c) for c in columns
        )
        return frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64))

    # -- Python's csv for the rest of the file -------------------------------------------
    def _slow_records(self) -> Iterator[tuple[int, list[str]]]:
        stream = io.TextIOWrapper(
            io.BufferedReader(_Blocks(self._buffer, self._source)),  # type: ignore[arg-type]
            encoding="utf-8",
            newline="",
        )
        self._buffer = b""
        reader = csv.reader(stream, delimiter=self.delimiter)
        base, previous = self._line_base, 0
        for values in reader:
            line = base + previous + 1
            previous = reader.line_num
            if not _blank(values):
                yield line, values

    def _slow_chunks(self, rows: int) -> Iterator[Chunk]:
        records = getattr(self, "_slow_reader", None) or self._slow_records()
        while batch := [r for _, r in zip(range(rows), records, strict=False)]:
            good = [(line, v) for line, v in batch if len(v) == self.width]
            ragged = [(line, v) for line, v in batch if len(v) != self.width]
            frame = self._frame([line for line, _ in good], [v for _, v in good])
            yield Chunk(frame, ragged, self.read, batch[-1][0], len(batch), self.delimiter,
                        _values=dict(batch))  # fmt: skip
