"""Resumable import jobs: read, validate, write in chunks, checkpoint, quarantine.

Each chunk's rows, its quarantined rows and the job's counters and checkpoint are written in one
transaction, so a job killed at any instant resumes (`resume_job`) with no row written twice and
none skipped. Rows before the checkpoint are read again on resume only to rebuild the in-file
duplicate check; they are not written again.

Contacts and activities take the frame path (`chunks`, `frames`, `bulkwrite`: Polars columns,
set-based SQL); the records it cannot vouch for, and every other kind, take the row path
(`rows`, `store`). Both give the same records, errors, counts and notes.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl
from sqlalchemy import Connection, select, update

from tandem.contacts import sources
from tandem.db import utcnow
from tandem.events import EventBus
from tandem.ingest import bulkwrite, csvfile, deferred, frames, links
from tandem.ingest.chunks import LINE, Chunk, FrameReader, column
from tandem.ingest.fields import Kind, get_kind
from tandem.ingest.isolate import Part, write_isolating
from tandem.ingest.mapping import Mapping
from tandem.ingest.models import ImportJob, QuarantinedRow
from tandem.ingest.resolve import Resolver
from tandem.ingest.rows import ColumnPlan, RowError, RowMapper, SlashedDates, plan_columns
from tandem.ingest.setsql import SQLITE_CACHE_KIB, Sql, cache_kib_for
from tandem.ingest.store import ACTIVITIES, WRITERS, Context, Item, Written

JOBS = ImportJob.__table__
ERRORS = QuarantinedRow.__table__
CHUNK_ROWS = 5_000  # the row path
# The frame path (contacts, activities). SQLite has one writer: a chunk holds the write lock for
# a few seconds, so its chunks stay small enough for the event API to wait them out.
FRAME_CHUNK_ROWS = {"sqlite": 50_000, "postgresql": 200_000}
# A big first load of activities (`deferred`): fewer, larger commits.
BULK_CHUNK_ROWS = {"sqlite": 200_000, "postgresql": 200_000}
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
    source: str | None = None,
) -> int:
    """Register an import of `path`; a file that cannot be read as CSV fails the job at once.
    Its records' source is named `source` (a label such as "trade show 2024"), else `profile`."""
    get_kind(kind)
    path = Path(path).resolve()
    values: dict[str, Any] = {
        "kind": kind,
        "profile": profile,
        "file_name": path.name,
        "file_path": str(path),
        "mapping": mapping.model_dump(exclude_defaults=True, by_alias=True),
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
        job_id = int(connection.execute(JOBS.insert().values(**values)).inserted_primary_key[0])
        sources.import_source(connection, job_id=job_id, name=source or profile)
        return job_id


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        # A file's name, never its path: the job page shows the message.
        name = Path(str(exc.filename)).name if exc.filename else ""
        return f"{name}: {exc.strerror}" if name else exc.strerror
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@dataclass
class _State:
    """Counters and notes of a running job, as written with each checkpoint."""

    job: dict[str, Any]
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    bus: EventBus | None = None  # who hears what the job stores (scoring, the handoff)
    source_id: int | None = None  # the job's record source, stamped on what it creates

    def note(self, message: str, line: int, rows: int = 1, **counts: str) -> None:
        entry = self.notes.setdefault(message, {"note": message, "rows": 0, "line": line, **counts})
        entry["rows"] += rows
        entry["line"] = min(entry["line"], line)


def default_chunk_rows(kind: str, mapping: Mapping, dialect: str = "postgresql") -> int:
    """Rows per committed chunk: larger where the frame path writes."""
    if frames.supported(get_kind(kind), mapping):
        return CHUNK_ROWS
    return FRAME_CHUNK_ROWS.get(dialect, FRAME_CHUNK_ROWS["postgresql"])


def run_job(
    tx: ChunkTx,
    job_id: int,
    *,
    chunk_rows: int | None = None,
    on_progress: Progress | None = None,
    clock: Callable[[], datetime] = utcnow,
    bulk_min_rows: int | None = None,
    bus: EventBus | None = None,
) -> dict[str, Any]:
    """Run (or resume) a job to the end of its file; returns the job row as a dict. An
    activities file of `bulk_min_rows` rows or more can be a bulk load (`deferred`). What it
    stores is published to `bus` in each chunk's transaction (by default every installed
    capability's handlers: scoring and the handoff react as in the app; `EventBus()` for none)."""
    if bus is None:
        from tandem.capabilities import build_bus

        bus = build_bus()
    with tx() as connection:
        dialect = connection.dialect.name
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
    with tx() as connection:
        source_id = sources.import_source(connection, job_id=job_id, name=job["profile"])
    state = _State(job, {n["note"]: dict(n) for n in job["notes"] or []}, bus, source_id)
    bulk_rows = None
    if chunk_rows is None:
        mapping = Mapping.model_validate(job["mapping"])
        chunk_rows = default_chunk_rows(job["kind"], mapping, dialect)
        bulk_rows = BULK_CHUNK_ROWS.get(dialect, chunk_rows)
    try:
        minimum = deferred.BULK_MIN_ROWS if bulk_min_rows is None else bulk_min_rows
        _run(tx, state, chunk_rows, on_progress, clock, bulk_rows, minimum)
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
    bulk_rows: int | None,
    bulk_min_rows: int,
) -> None:
    job = state.job
    mapping = Mapping.model_validate(job["mapping"])
    kind = get_kind(job["kind"])
    info = csvfile.inspect_file(job["file_path"], mapping.encoding, mapping.delimiter)
    if info.sha256 != job["sha256"]:
        raise JobError(f"{job['file_name']} changed since job {job['id']} started (sha256 differs)")
    for message in info.notes:
        state.note(message, 1, 0)
    if frames.supported(kind, mapping) is None:
        deferring, rows = False, _estimate_rows(info)
        if kind.name == "activities":
            with tx() as connection:
                deferring = deferred.worth_it(connection, ACTIVITIES, rows, bulk_min_rows)
                rows += deferred.top_id(connection, ACTIVITIES)
        if deferring and bulk_rows:
            chunk_rows = bulk_rows
        # A load with its indexes deferred only appends: a cache the size of the table (up to
        # a quarter of the machine's memory) would only hold pages already written.
        cache = SQLITE_CACHE_KIB if deferring else cache_kib_for(rows)
        _run_frames(
            tx, state, info, kind, mapping, chunk_rows, on_progress, clock, deferring, cache
        )
    else:
        _run_rows(tx, state, info, kind, mapping, chunk_rows, on_progress, clock)
    if on_progress:
        on_progress(info.size, info.size)
    with tx() as connection:
        for message in links.waiting(connection, job["id"]):
            state.note(message, 0, 0)
    _finish(tx, state, "done", None, clock())


def _run_rows(
    tx: ChunkTx,
    state: _State,
    info: csvfile.FileInfo,
    kind: Kind,
    mapping: Mapping,
    chunk_rows: int,
    on_progress: Progress | None,
    clock: Callable[[], datetime],
) -> None:
    job = state.job
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
    _note_slashed(state, mapper.slashed)


def _run_frames(
    tx: ChunkTx,
    state: _State,
    info: csvfile.FileInfo,
    kind: Kind,
    mapping: Mapping,
    chunk_rows: int,
    on_progress: Progress | None,
    clock: Callable[[], datetime],
    deferring: bool,
    cache_kib: int,
) -> None:
    job = state.job
    reader = FrameReader(info)
    if reader.header is None:
        raise JobError(f"{job['file_name']} has no header row")
    plan = plan_columns(reader.header[1], mapping, kind)
    _check_plan(plan, state)
    framer = frames.FrameMapper(kind, mapping, plan, info.strict_encoding)
    mapper = RowMapper(kind, mapping, plan)
    seen = KeySet()
    writer = _FrameWriter(tx, state, clock, kind, plan, deferring, cache_kib)
    checkpoint = job["checkpoint_line"]

    def prepared() -> Iterator[tuple[Chunk, pl.DataFrame, list[Item], list[RowError]]]:
        for chunk in reader.chunks(chunk_rows):
            mapped = framer(chunk.frame)
            slow: list[Item] = []
            errors: list[RowError] = []
            for line in sorted([*mapped.unsure, *(r[0] for r in chunk.ragged)]):
                values = chunk.values(line)
                record, problems = mapper(line, values)
                if record is not None and not info.strict_encoding:
                    problems = _undecodable(line, values, plan)
                    record = None if problems else record
                if record is None:
                    errors.extend(problems)
                else:
                    slow.append((line, record))
            frame, slow, duplicates = _dedupe(seen, kind, mapped.frame, slow)
            yield chunk, frame, slow, errors + duplicates

    # Reading and validating the next chunk overlaps with writing this one (Polars, NumPy and
    # the database drivers release the GIL).
    try:
        for chunk, frame, slow, errors in _ahead(prepared()):
            if chunk.last_line > checkpoint:
                if checkpoint:
                    frame = frame.filter(pl.col(LINE) > checkpoint)
                    slow = [item for item in slow if item[0] > checkpoint]
                    errors = [e for e in errors if e.line > checkpoint]
                writer.flush(chunk, frame, slow, errors, checkpoint)
            if on_progress:
                on_progress(chunk.read, info.size)
    finally:
        with suppress(Exception):
            writer.close()
    mapper.slashed.merge(framer.slashed)
    _note_slashed(state, mapper.slashed)


def _sorted_lines(column: pl.Series, more: list[int], above: int = 0) -> tuple[int, ...]:
    """The line numbers of `column` and `more` past `above`, in order (sorted by Polars: a
    Python sort of a chunk's 200,000 numbers cost 60 ms)."""
    both = pl.concat([column.cast(pl.Int64), pl.Series(more, dtype=pl.Int64)])
    return tuple(both.filter(both > above).sort().to_list())


def _estimate_rows(info: csvfile.FileInfo) -> int:
    """Records in the file (header excluded), from the line length of its first MB."""
    with open(info.path, "rb") as handle:
        sample = handle.read(1 << 20)
    lines = sample.count(b"\n")
    return max(0, int(info.size * lines / len(sample)) - 1) if sample else 0


_T = TypeVar("_T")


def _ahead(items: Iterator[_T], depth: int = 1) -> Iterator[_T]:
    """`items`, produced by a background thread up to `depth` items ahead of the consumer; an
    exception there is raised here, and stopping here stops it."""
    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((False, None))
        except BaseException as exc:  # handed to the consumer
            slots.put((False, exc))

    worker = threading.Thread(target=produce, name="tandem-import-reader", daemon=True)
    worker.start()
    try:
        while True:
            more, item = slots.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        with suppress(queue.Empty):
            while True:
                slots.get_nowait()
        worker.join(timeout=5)


class KeySet:
    """64-bit hashes of the match keys seen so far in a file, with the line each was first seen
    on: sorted runs merged as they grow (16 bytes a key, lookups by binary search)."""

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def first_lines(self, hashes: np.ndarray) -> np.ndarray:
        """The line each hash was first seen on, 0 for unseen ones."""
        out = np.zeros(len(hashes), dtype=np.int64)
        for keys, lines in self.runs:
            at = np.minimum(np.searchsorted(keys, hashes), len(keys) - 1)
            hit = keys[at] == hashes
            out[hit] = lines[at[hit]]
        return out

    def add(self, hashes: np.ndarray, lines: np.ndarray) -> None:
        """Remember new (not yet seen, distinct) hashes."""
        if len(hashes) == 0:
            return
        order = np.argsort(hashes)
        self.runs.append((hashes[order], lines[order]))
        while len(self.runs) > 1 and len(self.runs[-1][0]) * 2 >= len(self.runs[-2][0]):
            (k2, l2), (k1, l1) = self.runs.pop(), self.runs.pop()
            keys, lines = np.concatenate((k1, k2)), np.concatenate((l1, l2))
            order = np.argsort(keys, kind="stable")
            self.runs.append((keys[order], lines[order]))


def _dedupe(
    seen: KeySet, kind: Kind, frame: pl.DataFrame, slow: list[Item]
) -> tuple[pl.DataFrame, list[Item], list[RowError]]:
    """The in-file duplicate check over a chunk's records (frame and row path alike): a record
    whose key an earlier record had is quarantined as "duplicate of line N"."""
    keys = pl.concat(
        [
            pl.DataFrame({LINE: frame[LINE], "key": frames.dedupe_keys(kind, frame)}),
            pl.DataFrame(
                {LINE: [line for line, _ in slow], "key": [kind.key_of(r) for _, r in slow]},
                schema={LINE: pl.Int64, "key": pl.String},
            ),
        ]
    ).filter(pl.col("key").is_not_null())
    if keys.height == 0:
        return frame, slow, []
    keys = keys.sort(LINE).with_columns(pl.col("key").hash(seed=7).alias("h"))
    keys = keys.with_columns(pl.col(LINE).min().over("h").alias("first"))
    firsts = keys.filter(pl.col(LINE) == pl.col("first"))
    hashes = firsts["h"].to_numpy()
    earlier = seen.first_lines(hashes)
    seen.add(hashes[earlier == 0], firsts["first"].to_numpy()[earlier == 0])
    known = pl.DataFrame({"h": firsts["h"], "earlier": earlier})
    keys = keys.join(known, on="h", how="left").with_columns(
        pl.when(pl.col("earlier") > 0).then(pl.col("earlier")).otherwise(pl.col("first"))
        .alias("first")
    )  # fmt: skip
    dups = keys.filter(pl.col(LINE) != pl.col("first")).sort(LINE)
    if dups.height == 0:
        return frame, slow, []
    errors = []
    for line, key, first in dups.select(LINE, "key", "first").iter_rows():
        name = key.split("|", 1)[0]
        errors.append(RowError(line, name, None, f"duplicate of line {first} (same {name})"))
    lines = set(dups[LINE].to_list())
    frame = frame.filter(~pl.col(LINE).is_in(list(lines)))
    return frame, [item for item in slow if item[0] not in lines], errors


def _check_plan(plan: ColumnPlan, state: _State) -> None:
    if plan.missing:
        raise JobError("missing required column(s): " + "; ".join(plan.missing))
    if plan.unknown:
        state.note("unknown column(s) ignored: " + ", ".join(plan.unknown), 1, 0)
    if plan.duplicates:
        state.note("repeated column(s) ignored: " + ", ".join(plan.duplicates), 1, 0)
    if plan.unused_rules:
        missing = ", ".join(plan.unused_rules)
        state.note(f"profile rule(s) not used, the file has no such column: {missing}", 1, 0)


def _note_slashed(state: _State, slashed: SlashedDates) -> None:
    found = slashed.note()
    if found is not None:
        state.note(found[0], found[1], 0)


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


def _chunk_context(
    connection: Connection,
    state: _State,
    clock: Callable[[], datetime],
    resolver: Resolver | None,
) -> Context:
    """The write context of a chunk of `state`'s job, claimed; the job's resolver (and its
    caches) carries over from chunk to chunk."""
    job = state.job
    _claim(connection, job["id"])
    ctx = Context(
        connection,
        clock(),
        f"import:{job['profile']}",
        bus=state.bus,
        source_id=state.source_id,
        job_id=job["id"],
    )
    if resolver is not None:
        resolver.connection = connection
        ctx.resolver = resolver
    return ctx


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
        if self.size == 0 and line is None:
            return
        whole = Part(tuple(self.raw), tuple(n for n, _ in self.items), self.last_line)
        write_isolating(lambda part: self._write(part, whole), whole, self._forget)
        self.items, self.errors, self.raw, self.internal, self.size = [], [], {}, {}, 0

    def _forget(self) -> None:
        self.resolver = None  # its cache may hold ids created in the rolled-back transaction

    def _write(self, part: Part, whole: Part) -> None:
        job = self.state.job
        items, errors = self.items, self.errors
        if part is not whole:
            lines, records = set(part.lines), set(part.records)
            items = [item for item in items if item[0] in records]
            errors = [e for e in errors if e.line in lines]
        with self.tx() as connection:
            ctx = _chunk_context(connection, self.state, self.clock, self.resolver)
            self.resolver = ctx.resolver
            try:
                written = WRITERS[job["kind"]](ctx, items) if items else []
            except BaseException:
                ctx.discard()
                raise
            ctx.close()
            fixed = [
                self.internal[w.line]
                for w in written
                if w.error is None and w.line in self.internal
            ]
            _commit(
                connection,
                self.state,
                ctx,
                size=len(part.lines),
                last_line=part.last_line,
                written=written,
                errors=[*errors, *part.refused],
                raw=self.raw.get,
                fixed=fixed,
            )


class _FrameWriter:
    """Writes a chunk of the frame path with the job's checkpoint in one transaction."""

    def __init__(
        self,
        tx: ChunkTx,
        state: _State,
        clock: Callable[[], datetime],
        kind: Kind,
        plan: ColumnPlan,
        deferring: bool,
        cache_kib: int,
    ) -> None:
        self.tx, self.state, self.clock, self.kind, self.plan = tx, state, clock, kind, plan
        self.resolver: Resolver | None = None
        self.contacts = bulkwrite.ContactIds()
        self.cache: int | None = None  # SQLite page cache size before the job
        self.cache_kib = cache_kib  # ... and during it (`setsql.cache_kib_for`)
        self.deferring = deferring  # a big load: indexes dropped, built again by `close`
        self.stored: np.ndarray | None = None  # then: the keys stored before this run

    def close(self) -> None:
        """Give the connection its page cache size back (a web process keeps its pool); build
        the activities' indexes (and take the guard down) if this job or a killed one dropped
        them."""
        if self.cache is not None:
            with self.tx() as connection:
                Sql(connection).restore_cache(self.cache)
        if self.kind.name == "activities":
            with self.tx() as connection:
                deferred.restore(connection, ACTIVITIES)

    def flush(
        self,
        chunk: Chunk,
        frame: pl.DataFrame,
        slow: list[Item],
        errors: list[RowError],
        checkpoint: int,
    ) -> None:
        lines = _sorted_lines(chunk.frame[LINE], [r[0] for r in chunk.ragged], checkpoint)
        records = _sorted_lines(frame[LINE], [n for n, _ in slow])
        whole = Part(lines, records, chunk.last_line)

        def write(part: Part) -> None:
            if part is whole:
                self._write(chunk, part, frame, slow, errors)
                return
            kept, within = set(part.records), set(part.lines)
            self._write(
                chunk,
                part,
                frame.filter(pl.col(LINE).is_in(kept)),
                [item for item in slow if item[0] in kept],
                [e for e in errors if e.line in within],
            )

        write_isolating(write, whole, self._forget)

    def _forget(self) -> None:
        # Caches filled in the rolled-back transaction: ids of rows it had created, and the
        # keys a big load read after dropping the indexes (the drop was rolled back too).
        self.resolver, self.contacts, self.stored = None, bulkwrite.ContactIds(), None

    def _write(
        self,
        chunk: Chunk,
        part: Part,
        frame: pl.DataFrame,
        slow: list[Item],
        errors: list[RowError],
    ) -> None:
        job = self.state.job
        with self.tx() as connection:
            ctx = _chunk_context(connection, self.state, self.clock, self.resolver)
            self.resolver = ctx.resolver
            previous = Sql(connection).large_cache(self.cache_kib)
            if self.cache is None:
                self.cache = previous
            known: list[int] = []
            if self.deferring:
                if self.stored is None:  # before this run's first write
                    # Dropping first locks others out (PostgreSQL: the table's exclusive lock;
                    # SQLite: `_claim` took the write lock) until the guard is up at commit,
                    # so no key can arrive between the read and the load.
                    deferred.drop(connection, ACTIVITIES)
                    self.stored = deferred.stored_keys(connection, ACTIVITIES)
                deferred.let_in(connection, ACTIVITIES)
                frame, slow, known = _not_stored(self.stored, frame, slow)
            try:
                if self.kind.name == "contacts":
                    outcome = bulkwrite.write_contacts(ctx, frame)
                else:
                    outcome = bulkwrite.write_activities(
                        ctx, frame, self.contacts, bulk=self.deferring
                    )
                redo = frames.records(
                    frame.filter(pl.col(LINE).is_in(outcome.redo)), self.kind.json_prefix
                )
                items = sorted([*slow, *redo], key=lambda item: item[0])
                written = WRITERS[self.kind.name](ctx, items) if items else []
            except BaseException:
                ctx.discard()
                raise
            ctx.close()
            if self.deferring:
                deferred.lock_out(connection, ACTIVITIES, job["id"])
            done = outcome.status.filter(~pl.col(LINE).is_in(outcome.redo))
            written += outcome.rejected + [Written(line, "duplicate") for line in known]
            tally = dict(done.group_by("status").len().iter_rows())
            _commit(
                connection,
                self.state,
                ctx,
                size=len(part.lines),
                last_line=part.last_line,
                written=written,
                errors=[*errors, *part.refused],
                raw=chunk.values,
                fixed=self._fixed(chunk, done, written),
                counts={
                    "new": tally.get("new", 0),
                    "updated": tally.get("updated", 0),
                    "unchanged": tally.get("unchanged", 0) + tally.get("duplicate", 0),
                },
            )

    def _fixed(self, chunk: Chunk, done: pl.DataFrame, written: list[Written]) -> list[int]:
        """`_tandem_line` of the rows written without error (a retry marks them fixed)."""
        index = self.plan.internal.get("line")
        if index is None or not self.state.job["parent_job_id"]:
            return []
        fast = chunk.frame.join(done.select(LINE), on=LINE).select(
            pl.col(column(index)).str.strip_chars().cast(pl.Int64, strict=False)
        )
        out = fast.to_series().drop_nulls().to_list()
        in_frame = set(done[LINE].to_list())
        for w in written:
            if w.error is None and w.line not in in_frame:
                values = chunk.values(w.line)
                with suppress(ValueError, IndexError):
                    out.append(int(values[index]))
        return out


def _not_stored(
    stored: np.ndarray, frame: pl.DataFrame, slow: list[Item]
) -> tuple[pl.DataFrame, list[Item], list[int]]:
    """A big load's chunk without the records whose key was stored before the load (the
    unique index that would refuse them is dropped); their lines."""
    hit = deferred.already_stored(stored, frame["idempotency_key"])
    known = frame.filter(hit)[LINE].to_list()
    keys = pl.Series([record.get("idempotency_key") for _, record in slow], dtype=pl.String)
    slow_hit = deferred.already_stored(stored, keys).to_list()
    known += [line for (line, _), h in zip(slow, slow_hit, strict=True) if h]
    rest = [item for item, h in zip(slow, slow_hit, strict=True) if not h]
    return frame.filter(~hit), rest, known


def _claim(connection: Connection, job_id: int) -> None:
    """Write first: on SQLite the chunk then holds the write lock before it reads anything, so
    a concurrent writer cannot invalidate what it read."""
    connection.execute(update(JOBS).where(JOBS.c.id == job_id).values(status="running"))


def _commit(
    connection: Connection,
    state: _State,
    ctx: Context,
    *,
    size: int,
    last_line: int,
    written: list[Written],
    errors: list[RowError],
    raw: Callable[[int], list[str] | None],
    fixed: list[int],
    counts: dict[str, int] | None = None,
) -> None:
    """A chunk's quarantined rows, the job's counters, notes and checkpoint (same transaction).
    `counts` adds rows the frame path wrote (not in `written`)."""
    job = state.job
    errors = list(errors) + [w.error for w in written if w.error is not None]
    counts = {
        s: sum(w.status == s for w in written) + (counts or {}).get(s, 0)
        for s in ("new", "updated", "unchanged")
    }
    for message, at, rows, counted in ctx.notes:
        state.note(message, at, rows, **counted)
    for what, n in ctx.resolver.created.items():
        state.note(f"{what} created for references that matched none", last_line, n)
    ctx.resolver.created.clear()
    job["rows_total"] += size
    job["rows_new"] += counts["new"]
    job["rows_updated"] += counts["updated"]
    job["rows_unchanged"] += counts["unchanged"] + sum(
        w.status == "duplicate" and w.error is None for w in written
    )
    job["rows_quarantined"] += len({e.line for e in errors})
    job["checkpoint_line"] = last_line
    job["notes"] = list(state.notes.values())
    if errors:
        connection.execute(
            ERRORS.insert(),
            [_error_row(job["id"], e, raw(e.line)) for e in sorted(errors, key=_order)],
        )
    parent = job["parent_job_id"]
    if parent and fixed:
        connection.execute(
            update(ERRORS)
            .where(ERRORS.c.job_id == parent, ERRORS.c.line.in_(fixed))
            .values(resolved_by_job_id=job["id"])
        )
    counters = ("rows_total", "rows_new", "rows_updated", "rows_unchanged", "rows_quarantined",
                "checkpoint_line", "notes")  # fmt: skip
    connection.execute(
        update(JOBS).where(JOBS.c.id == job["id"]).values(**{k: job[k] for k in counters})
    )


def _order(error: RowError) -> int:
    return error.line


def _error_row(job_id: int, error: RowError, raw: list[str] | None) -> dict[str, Any]:
    value = None if error.value is None else _storable(str(error.value)[:2000])
    return {
        "job_id": job_id,
        "line": error.line,
        "field": error.field,
        "value": value,
        "reason": _storable(error.reason[:500]),
        "raw": None if raw is None else [_storable(cell) for cell in raw],
    }


def _storable(text: str) -> str:
    """Text PostgreSQL keeps: a NUL character is written as `\\0` in the quarantine."""
    return text.replace("\x00", "\\0")


def _finish(
    tx: ChunkTx, state: _State, status: str, message: str | None, at: datetime | None
) -> None:
    notes = list(state.notes.values())
    state.job.update(status=status, message=message, finished_at=at, notes=notes)
    with tx() as connection:
        connection.execute(
            update(JOBS)
            .where(JOBS.c.id == state.job["id"])
            .values(status=status, message=message, finished_at=at, notes=notes)
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
    return run_job(tx, create_retry(tx, job_id, fixed, created_by=created_by), **kw)


def create_retry(
    tx: ChunkTx, job_id: int, fixed: str | Path, *, created_by: int | None = None
) -> int:
    """Register the import of a job's corrected rows (same kind, mapping and source name)."""
    job = get_job(tx, job_id)
    with tx() as connection:
        source = sources.job_source_name(connection, job_id)
    return create_job(
        tx,
        path=fixed,
        kind=job["kind"],
        profile=job["profile"],
        mapping=Mapping.model_validate(job["mapping"]),
        created_by=created_by,
        parent_job_id=job_id,
        source=source,
    )


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
