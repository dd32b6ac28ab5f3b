"""Columnar reads of PostgreSQL through ADBC's libpq driver (binary COPY into Arrow)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tandem.columnar.source import ColumnarUnavailable


def read(uri: str, sql: str, params: list[Any]) -> Iterator[Any]:
    """The rows of `sql` on the database at `uri` as Arrow record batches."""
    import adbc_driver_postgresql.dbapi as adbc

    try:
        connection = adbc.connect(uri)
        cursor = connection.cursor()
        cursor.execute(sql, tuple(params) or None)
        reader = cursor.fetch_record_batch()
    except Exception as error:
        raise ColumnarUnavailable(f"{type(error).__name__}: {error}") from error
    return _stream(connection, cursor, reader)


def _stream(connection: Any, cursor: Any, reader: Any) -> Iterator[Any]:
    try:
        yield from reader
    except Exception as error:
        raise ColumnarUnavailable(f"{type(error).__name__}: {error}") from error
    finally:
        cursor.close()
        connection.close()
