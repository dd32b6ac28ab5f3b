"""Resumable import jobs: read, validate, write in chunks, checkpoint, quarantine.

Each chunk's rows, its quarantined rows and the job's counters and checkpoint are written in one
transaction, so a job killed at any instant resumes (`resume_job`) with no row written twice and
none skipped. Rows before the checkpoint are read again on resume only to rebuild the in-file
duplicate check; they are not written again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, update

from tandem.db import utcnow
from tandem.ingest import csvfile
from tandem.ingest.fields import get_kind
from tandem.ingest.mapping import Mapping
from tandem.ingest.models import ImportJob, QuarantinedRow
from tandem.ingest.resolve import Resolver
from tandem.ingest.rows import ColumnPlan, RowError, RowMapper, plan_columns
from tandem.ingest.store import WRITERS, Context, Item

JOBS = ImportJob.__table__
ERRORS = QuarantinedRow.__table__
CHUNK_ROWS = 5_000
ChunkTx = Callable[[], AbstractContextManager[Connection]]
Progress = Callable[[int, int], None]  # (bytes read, file size)


class JobError(RuntimeError):
    """A job cannot start or go on (unknown job, file changed, finished already...)."""


def nested(connection: Connection) -> ChunkTx:
    """Chunk transactions as savepoints of `connection`'s transaction (web requests, tests)."""

    @contextmanager
    def tx() -> Iterator[Connection]:
        with connection.begin_nested():
            yield connection

    return tx


def create_job(
    tx: ChunkTx,
    *,
    path: str | Path,
    kind: str,
    profile: str,
    mapping: Mapping,
    created_by: int | None = None,
    parent_job_id: int | None = None,
    notes: tuple[str, ...] = (),
) -> int:
    """Register an import of `path`; a file that cannot be read as CSV fails the job at once."""
    get_kind(kind)
    path = Path(path).resolve()
    values: dict[str, Any] = {
        "kind": kind,
        "profile": profile,
        "file_name": path.name,
        "file_path": str(path),
        "mapping": mapping.model_dump(exclude_defaults=True),
        "created_by": created_by,
        "parent_job_id": parent_job_id,
        "sha256": "",
        "status": "running",
        "notes": [{"note": note, "rows": 0, "line": 1} for note in notes],
    }
    try:
        info = csvfile.inspect_file(path, mapping.encoding, mapping.delimiter)
        values["sha256"] = info.sha256
    except (csvfile.NotCsv, OSError) as exc:
        values.update(status="failed", message=_one_line(exc), finished_at=utcnow())
    with tx() as connection:
        return int(connection.execute(JOBS.insert().values(**values)).inserted_primary_key[0])


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@dataclass
class _State:
    """Counters and notes of a running job, as written with each checkpoint."""

    job: dict[str, Any]
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def note(self, message: str, line: int, rows: int = 1) -> None:
        entry = self.notes.setdefault(message, {"note": message, "rows": 0, "line": line})
        entry["rows"] += rows
        entry["line"] = min(entry["line"], line)


def run_job(
    tx: ChunkTx,
    job_id: int,
    *,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Progress | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> dict[str, Any]:
    """Run (or resume) a job to the end of its file; returns the job row as a dict."""
    with tx() as connection:
        job = dict(
            connection.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().one_or_none()
            or {}
        )
    if not job:
        raise JobError(f"no import job {job_id}")
    if job["status"] == "done":
        return job
    if job["status"] == "failed" and not job["sha256"]:
        raise JobError(f"job {job_id} failed: {job['message']}")
    state = _State(job, {n["note"]: dict(n) for n in job["notes"] or []})
    try:
        _run(tx, state, chunk_rows, on_progress, clock)
    except JobError as exc:
        _finish(tx, state, "failed", _one_line(exc), clock())
        raise
    except Exception as exc:
        # The chunk in flight rolled back; the checkpoint still marks the last committed one.
        _finish(
            tx, state, "failed", f"stopped at line {job['checkpoint_line']}: {_one_line(exc)}", None
        )
        raise
    return state.job


def _run(
    tx: ChunkTx,
    state: _State,
    chunk_rows: int,
    on_progress: Progress | None,
    clock: Callable[[], datetime],
) -> None:
    job = state.job
    mapping = Mapping.model_validate(job["mapping"])
    kind = get_kind(job["kind"])
    info = csvfile.inspect_file(job["file_path"], mapping.encoding, mapping.delimiter)
    if info.sha256 != job["sha256"]:
        raise JobError(f"{job['file_name']} changed since job {job['id']} started (sha256 differs)")
    for message in info.notes:
        state.note(message, 1, 0)
    progress = [0]
    reader = csvfile.records(info, progress)
    first = next(reader, None)
    if first is None:
        raise JobError(f"{job['file_name']} has no header row")
    plan = plan_columns(first[1], mapping, kind)
    _check_plan(plan, state)
    mapper = RowMapper(kind, mapping, plan)
    writer = _ChunkWriter(tx, state, clock)
    seen: dict[int, int] = {}
    checkpoint = job["checkpoint_line"]
    for line, values in reader:
        record, errors = mapper(line, values)
        if record is not None and not info.strict_encoding:
            errors = _undecodable(line, values, plan)
            record = None if errors else record
        if record is not None:
            key = kind.key_of(record)
            digest = _hash64(key) if key else None
            if digest is not None and digest in seen and seen[digest] != line:
                field_name = key.split("|", 1)[0] if key else None
                errors = [
                    RowError(
                        line,
                        field_name,
                        None,
                        f"duplicate of line {seen[digest]} (same {field_name})",
                    )
                ]
                record = None
            elif digest is not None:
                seen.setdefault(digest, line)
        if line <= checkpoint:
            continue
        writer.add(line, values, record, errors, plan)
        if writer.size >= chunk_rows:
            writer.flush(line)
            if on_progress:
                on_progress(progress[0], info.size)
    writer.flush(None)
    if on_progress:
        on_progress(info.size, info.size)
    _finish(tx, state, "done", None, clock())


def _check_plan(plan: ColumnPlan, state: _State) -> None:
    if plan.missing:
        raise JobError("missing required column(s): " + "; ".join(plan.missing))
    if plan.unknown:
        state.note("unknown column(s) ignored: " + ", ".join(plan.unknown), 1, 0)
    if plan.duplicates:
        state.note("repeated column(s) ignored: " + ", ".join(plan.duplicates), 1, 0)


def _undecodable(line: int, values: list[str], plan: ColumnPlan) -> list[RowError]:
    return [
        RowError(
            line,
            plan.header[i] if i < len(plan.header) else None,
            value,
            "bytes not valid in the file's encoding (is it Latin-1?)",
        )
        for i, value in enumerate(values)
        if csvfile.REPLACEMENT in value
    ]


def _hash64(key: str) -> int:
    # 8 bytes per key keeps the duplicate check of a 20M-row file in memory.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


class _ChunkWriter:
    """Collects a chunk and writes it with the job's checkpoint in one transaction."""

    def __init__(self, tx: ChunkTx, state: _State, clock: Callable[[], datetime]) -> None:
        self.tx, self.state, self.clock = tx, state, clock
        self.resolver: Resolver | None = None
        self.items: list[Item] = []
        self.raw: dict[int, list[str]] = {}
        self.internal: dict[int, int] = {}
        self.errors: list[RowError] = []
        self.size = 0
        self.last_line = state.job["checkpoint_line"]

    def add(
        self,
        line: int,
        values: list[str],
        record: dict[str, Any] | None,
        errors: list[RowError],
        plan: ColumnPlan,
    ) -> None:
        self.size += 1
        self.last_line = line
        self.raw[line] = values
        if "line" in plan.internal and plan.internal["line"] < len(values):
            with suppress(ValueError):
                self.internal[line] = int(values[plan.internal["line"]])
        if record is None:
            self.errors.extend(errors)
        else:
            self.items.append((line, record))

    def flush(self, line: int | None) -> None:
        job = self.state.job
        if self.size == 0 and line is None:
            return
        with self.tx() as connection:
            ctx = Context(connection, self.clock(), f"import:{job['profile']}")
            if self.resolver is None:
                self.resolver = ctx.resolver
            self.resolver.connection = connection
            ctx.resolver = self.resolver
            written = WRITERS[job["kind"]](ctx, self.items) if self.items else []
            errors = list(self.errors) + [w.error for w in written if w.error is not None]
            counts = {
                s: sum(w.status == s for w in written)
                for s in ("new", "updated", "unchanged", "duplicate")
            }
            for message, at in ctx.notes:
                self.state.note(message, at)
            for what, n in self.resolver.created.items():
                self.state.note(
                    f"{what} created for references that matched none", self.last_line, n
                )
            self.resolver.created.clear()
            bad_lines = {e.line for e in errors}
            job["rows_total"] += self.size
            job["rows_new"] += counts["new"]
            job["rows_updated"] += counts["updated"]
            job["rows_unchanged"] += counts["unchanged"] + sum(
                w.status == "duplicate" and w.error is None for w in written
            )
            job["rows_quarantined"] += len(bad_lines)
            job["checkpoint_line"] = self.last_line
            job["notes"] = list(self.state.notes.values())
            if errors:
                connection.execute(
                    ERRORS.insert(),
                    [_error_row(job["id"], e, self.raw.get(e.line)) for e in errors],
                )
            self._resolve_parent(connection, written)
            connection.execute(
                update(JOBS)
                .where(JOBS.c.id == job["id"])
                .values(
                    **{
                        k: job[k]
                        for k in (
                            "rows_total",
                            "rows_new",
                            "rows_updated",
                            "rows_unchanged",
                            "rows_quarantined",
                            "checkpoint_line",
                            "notes",
                        )
                    }
                )
            )
        self.items, self.errors, self.raw, self.internal, self.size = [], [], {}, {}, 0

    def _resolve_parent(self, connection: Connection, written: list[Any]) -> None:
        parent = self.state.job["parent_job_id"]
        fixed = [
            self.internal[w.line] for w in written if w.error is None and w.line in self.internal
        ]
        if parent and fixed:
            connection.execute(
                update(ERRORS)
                .where(ERRORS.c.job_id == parent, ERRORS.c.line.in_(fixed))
                .values(resolved_by_job_id=self.state.job["id"])
            )


def _error_row(job_id: int, error: RowError, raw: list[str] | None) -> dict[str, Any]:
    value = None if error.value is None else str(error.value)[:2000]
    return {
        "job_id": job_id,
        "line": error.line,
        "field": error.field,
        "value": value,
        "reason": error.reason[:500],
        "raw": raw,
    }


def _finish(
    tx: ChunkTx, state: _State, status: str, message: str | None, at: datetime | None
) -> None:
    state.job.update(status=status, message=message, finished_at=at)
    with tx() as connection:
        connection.execute(
            update(JOBS)
            .where(JOBS.c.id == state.job["id"])
            .values(
                status=status, message=message, finished_at=at, notes=list(state.notes.values())
            )
        )


def get_job(tx: ChunkTx, job_id: int) -> dict[str, Any]:
    """The job row; JobError when there is none."""
    with tx() as connection:
        row = connection.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().one_or_none()
    if row is None:
        raise JobError(f"no import job {job_id}")
    return dict(row)


def list_errors(
    tx: ChunkTx, job_id: int, *, limit: int | None = None, unresolved: bool = False
) -> list[dict[str, Any]]:
    """Quarantined rows of a job in file order."""
    query = select(ERRORS).where(ERRORS.c.job_id == job_id).order_by(ERRORS.c.line, ERRORS.c.id)
    if unresolved:
        query = query.where(ERRORS.c.resolved_by_job_id.is_(None))
    with tx() as connection:
        return [dict(r) for r in connection.execute(query.limit(limit)).mappings()]


def resume_job(tx: ChunkTx, job_id: int, **kw: Any) -> dict[str, Any]:
    """Finish an interrupted job from its checkpoint."""
    job = get_job(tx, job_id)
    if job["status"] == "done":
        raise JobError(f"job {job_id} is already done")
    return run_job(tx, job_id, **kw)


def retry_job(
    tx: ChunkTx, job_id: int, fixed: str | Path, *, created_by: int | None = None, **kw: Any
) -> dict[str, Any]:
    """Import corrected rows of a job's quarantine as a new job with the same kind and mapping;
    rows carrying `_tandem_line` (see `export_errors`) mark those errors resolved."""
    job = get_job(tx, job_id)
    mapping = Mapping.model_validate(job["mapping"])
    new_id = create_job(
        tx,
        path=fixed,
        kind=job["kind"],
        profile=job["profile"],
        mapping=mapping,
        created_by=created_by,
        parent_job_id=job_id,
    )
    return run_job(tx, new_id, **kw)


def export_errors(tx: ChunkTx, job_id: int) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a job's unresolved quarantined rows, as they were in the file, with
    `_tandem_line` and `_tandem_reason` added: fix them in a spreadsheet, then `retry`."""
    job = get_job(tx, job_id)
    mapping = Mapping.model_validate(job["mapping"])
    info = csvfile.inspect_file(job["file_path"], mapping.encoding, mapping.delimiter)
    header = next(csvfile.records(info))[1]
    by_line: dict[int, tuple[list[str], list[str]]] = {}
    for error in list_errors(tx, job_id, unresolved=True):
        if error["raw"] is None:
            continue
        raw, reasons = by_line.setdefault(error["line"], (error["raw"], []))
        reasons.append(f"{error['field'] or 'row'}: {error['reason']}")
    rows = [
        [*raw, str(line), "; ".join(reasons)] for line, (raw, reasons) in sorted(by_line.items())
    ]
    return [*header, "_tandem_line", "_tandem_reason"], rows
