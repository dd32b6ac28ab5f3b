"""Columnar reads of a SQLite file, in a child process that keeps running between reads.

Why a child: ADBC's driver carries its own copy of SQLite. Two SQLite libraries in one process
do not know each other's POSIX locks, and closing a file in one releases the locks the other
holds on it (the suite showed it as "disk I/O error" after an in-process ADBC read). In its own
process the driver's locks are its own. The child answers one request at a time on its stdin
and stdout: a JSON line in, a JSON status line out, then the rows as an Arrow IPC stream, which
the parent turns into frames while the child reads on (both cores at work).

The child is `_child.py` run as a script (Python, pyarrow and the driver; not Tandem, Polars or
SQLAlchemy, so it starts in a fraction of a second); `read` starts it on first use. A read
split in parts runs one child per part, up to `MAX_READERS`, each kept for later reads.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from tandem.columnar.source import ColumnarUnavailable

#: Children reading at once: a read split in parts (`read_table(split_by=...)`) gives each
#: part its own, up to one per core.
MAX_READERS = max(1, min(4, os.cpu_count() or 1))


class _Reader:
    """One child process, and the lock held while it answers (its pipe carries one answer)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.owner = 0  # the pid that started it (a forked worker process starts its own)

    def running(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.owner != os.getpid() or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("_child.py"))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            self.owner = os.getpid()
        return self.process

    def stop(self) -> None:
        if self.process is not None and self.owner == os.getpid():
            self.process.kill()
            self.process.wait()
        self.process = None


_readers: list[_Reader] = []
_pool_lock = threading.Lock()


def _free_reader() -> _Reader:
    """A reader not answering anyone, locked for the caller: an idle one, a new one while
    there are fewer than `MAX_READERS`, else the first to finish."""
    with _pool_lock:
        for reader in _readers:
            if reader.lock.acquire(blocking=False):
                return reader
        if len(_readers) < MAX_READERS:
            reader = _Reader()
            reader.lock.acquire()
            _readers.append(reader)
            return reader
        reader = _readers[0]
    reader.lock.acquire()
    return reader


def _sentinel(dtype: Any) -> str:
    # ADBC's SQLite driver types each column from its first rows; a column that starts with
    # NULLs would be taken for an integer and fail on the first text. A first row of the
    # schema's types fixes every column's type; the parent drops it.
    if dtype == pl.String:
        return "''"
    if dtype in (pl.Float64, pl.Float32):
        return "0.0"
    return "0"


def stop() -> None:
    """Stop every child (each starts again on its next read)."""
    for reader in _readers:
        reader.stop()


atexit.register(stop)


def read(path: str, sql: str, params: list[Any], dtypes: list[Any]) -> Iterator[Any]:
    """The rows of `sql` on the SQLite file `path`, as Arrow record batches (see the module
    doc); raises `ColumnarUnavailable` when the child cannot run the query."""
    import pyarrow as pa

    columns = ", ".join(f"{_sentinel(d)} AS c{i}" for i, d in enumerate(dtypes))
    # Only compiled SQL and fixed literals are joined here; values travel as parameters.
    wrapped = f"SELECT {columns} UNION ALL SELECT * FROM ({sql})"  # noqa: S608
    request = json.dumps({"path": path, "sql": wrapped, "params": params}) + "\n"
    reader = _free_reader()
    try:
        child = reader.running()
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(request.encode())
        child.stdin.flush()
        status = json.loads(child.stdout.readline() or b'{"error": "the reader stopped"}')
        if "error" in status:
            raise ColumnarUnavailable(status["error"])
        answer = pa.ipc.open_stream(child.stdout)
    except (OSError, ValueError, ColumnarUnavailable) as error:
        if not isinstance(error, ColumnarUnavailable):
            reader.stop()
        reader.lock.release()
        raise ColumnarUnavailable(str(error)) from error
    return Stream(reader, answer)


class Stream(Iterator[Any]):
    """The record batches of one answer; the reader is given back when the last is read or the
    stream is closed (a child stopped mid-answer: the rest would be the next request's answer)."""

    def __init__(self, reader: _Reader, answer: Any) -> None:
        self._reader: _Reader | None = reader
        self._batches = iter(answer)
        self._first = True

    def __next__(self) -> Any:
        if self._reader is None:
            raise StopIteration
        try:
            while True:
                batch = next(self._batches)
                if self._first:  # the sentinel row `read` put first
                    batch, self._first = batch.slice(1), False
                if batch.num_rows:
                    return batch
        except StopIteration:
            self._give_back(stop=False)
            raise
        except Exception as error:
            self._give_back(stop=True)
            raise ColumnarUnavailable(f"{type(error).__name__}: {error}") from error
        except BaseException:
            self._give_back(stop=True)
            raise

    def close(self) -> None:
        """Give the reader back before the end of the answer (stopping its child)."""
        if self._reader is not None:
            self._give_back(stop=True)

    def __del__(self) -> None:
        self.close()

    def _give_back(self, *, stop: bool) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            if stop:
                reader.stop()
            reader.lock.release()
