"""Backups: SQLite through its online backup API, PostgreSQL through pg_dump / pg_restore.

Both produce one file that `restore` turns back into the same rows; `table_checksums` gives a
per-table row count and content digest so a round trip can be verified.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import URL

from tandem.tables import metadata


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why in one line."""


def _pg_tool(name: str) -> str:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return found


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    query_host = url.query.get("host")
    if query_host:
        args += ["--host", str(query_host)]
    port = url.port or url.query.get("port")
    if port:
        args += ["--port", str(port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def backup(engine: Engine, target: Path) -> Path:
    """Write a consistent copy of the whole database to `target` while it stays online."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(engine.url.database or "")
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)  # page-by-page copy that sees one consistent snapshot
        finally:
            dest.close()
            source.close()
        return target
    args, env = _pg_args(engine.url)
    proc = subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise BackupError(f"pg_dump failed: {proc.stderr.strip().splitlines()[-1]}")
    return target


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's contents with the backup in `source`."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        try:
            with sqlite3.connect(source) as check:
                intact = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            intact = False
        if not intact:
            raise BackupError(f"{source} is not an intact SQLite database")
        src = sqlite3.connect(source)
        dest = sqlite3.connect(engine.url.database or "")
        try:
            src.backup(dest)
        finally:
            dest.close()
            src.close()
        return
    args, env = _pg_args(engine.url)
    proc = subprocess.run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            *args,
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise BackupError(f"pg_restore failed: {proc.stderr.strip().splitlines()[-1]}")


def table_checksums(engine: Engine) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of every row in primary-key order) for each table."""
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            digest = hashlib.sha256()
            count = 0
            order = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(select(table).order_by(*order)).yield_per(10_000):
                digest.update(repr(tuple(row)).encode())
                count += 1
            out[table.name] = (count, digest.hexdigest())
    return out
