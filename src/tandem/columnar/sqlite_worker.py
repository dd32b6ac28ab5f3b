"""Columnar reads of a SQLite file, in a child process that keeps running between reads.

Why a child: ADBC's driver carries its own copy of SQLite. Two SQLite libraries in one process
do not know each other's POSIX locks, and closing a file in one releases the locks the other
holds on it (the suite showed it as "disk I/O error" after an in-process ADBC read). In its own
process the driver's locks are its own. The child answers one request at a time on its stdin
and stdout: a JSON line in, a JSON status line out, then the rows as an Arrow IPC stream, which
the parent turns into frames while the child reads on (both cores at work).

The child is `_child.py` run as a script (Python, pyarrow and the driver; not Tandem, Polars or
SQLAlchemy, so it starts in a fraction of a second); `read` starts it on first use.
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

_lock = threading.Lock()
_child: subprocess.Popen[bytes] | None = None
_owner = 0  # the pid that started `_child` (a forked worker process starts its own)


def _sentinel(dtype: Any) -> str:
    # ADBC's SQLite driver types each column from its first rows; a column that starts with
    # NULLs would be taken for an integer and fail on the first text. A first row of the
    # schema's types fixes every column's type; the parent drops it.
    if dtype == pl.String:
        return "''"
    if dtype in (pl.Float64, pl.Float32):
        return "0.0"
    return "0"


def _start() -> subprocess.Popen[bytes]:
    global _child, _owner
    if _child is not None and _owner == os.getpid() and _child.poll() is None:
        return _child
    _child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_child.py"))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    _owner = os.getpid()
    return _child


def stop() -> None:
    """Stop the child (it starts again on the next read)."""
    global _child
    if _child is not None and _owner == os.getpid():
        _child.kill()
        _child.wait()
    _child = None


atexit.register(stop)


def read(path: str, sql: str, params: list[Any], dtypes: list[Any]) -> Iterator[Any]:
    """The rows of `sql` on the SQLite file `path`, as Arrow record batches (see the module
    doc); raises `ColumnarUnavailable` when the child cannot run the query."""
    import pyarrow as pa

    columns = ", ".join(f"{_sentinel(d)} AS c{i}" for i, d in enumerate(dtypes))
    # Only compiled SQL and fixed literals are joined here; values travel as parameters.
    wrapped = f"SELECT {columns} UNION ALL SELECT * FROM ({sql})"  # noqa: S608
    request = json.dumps({"path": path, "sql": wrapped, "params": params}) + "\n"
    _lock.acquire()
    try:
        child = _start()
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(request.encode())
        child.stdin.flush()
        status = json.loads(child.stdout.readline() or b'{"error": "the reader stopped"}')
        if "error" in status:
            raise ColumnarUnavailable(status["error"])
        reader = pa.ipc.open_stream(child.stdout)
    except (OSError, ValueError, ColumnarUnavailable) as error:
        _lock.release()
        if not isinstance(error, ColumnarUnavailable):
            stop()
        raise ColumnarUnavailable(str(error)) from error
    return _stream(reader)


def _stream(reader: Any) -> Iterator[Any]:
    # Holds the lock until the stream is read to its end: the pipe carries one answer at once.
    try:
        first = True
        for batch in reader:
            if first:
                batch, first = batch.slice(1), False
            if batch.num_rows:
                yield batch
    except Exception as error:
        stop()  # a stream left half-read would be the next request's answer
        raise ColumnarUnavailable(f"{type(error).__name__}: {error}") from error
    except BaseException:
        stop()
        raise
    finally:
        _lock.release()
