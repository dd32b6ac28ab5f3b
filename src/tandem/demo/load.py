"""Load a generated demo data set into the database, chunk by chunk, with progress.

Generation of the next chunk runs in a worker thread while the current one is written (numpy,
Polars and the database drivers release the GIL), so the two cores are both busy.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import Engine

from tandem.bulk import BulkWriter, bulk_writer, reset_sequences
from tandem.contacts.models import SourceKind
from tandem.contacts.sources import source_id
from tandem.demo.generate import Chunk, generate
from tandem.demo.spec import DemoSpec
from tandem.lifecycle import service as lifecycle

GENERATED_TABLES = [
    "campaigns",
    "assets",
    "accounts",
    "contacts",
    "stage_transitions",
    "opportunities",
    "opportunity_contact_roles",
    "activities",
    "usage_facts",
]
SOURCED = ("accounts", "contacts", "opportunities", "activities")  # tables with a source_id


@dataclass
class LoadReport:
    """Rows written per table."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count


def load_demo(
    engine: Engine, spec: DemoSpec, on_progress: Callable[[int, int], None] | None = None
) -> LoadReport:
    """Generate the demo world for `spec` and write it; `on_progress(contacts_done, total)`."""
    report = LoadReport()
    world, chunks = generate(spec)
    with engine.begin() as connection:
        demo = source_id(connection, kind=SourceKind.DEMO, name="demo")
    rebuild = ["activities", "stage_transitions", "contacts"]
    with bulk_writer(engine, rebuild_indexes=rebuild) as writer:
        for table, frame in (
            ("campaigns", world.campaigns),
            ("assets", world.assets),
            ("accounts", world.accounts),
        ):
            report.add(table, writer.write(table, _sourced(table, frame, demo)))
        writer.commit()
        done = 0
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(next, chunks, None)
            while (chunk := pending.result()) is not None:
                pending = pool.submit(next, chunks, None)
                _write_chunk(writer, chunk, report, demo)
                done += chunk.contacts.height
                if on_progress:
                    on_progress(done, spec.contacts)
    with engine.begin() as connection:
        reset_sequences(connection, GENERATED_TABLES)
    return report


def _sourced(table: str, frame: pl.DataFrame, demo: int) -> pl.DataFrame:
    """`frame` of `table` with the demo as its records' source, where the table keeps one."""
    if table not in SOURCED:
        return frame
    return frame.with_columns(pl.lit(demo, pl.Int64).alias("source_id"))


def _write_chunk(writer: BulkWriter, chunk: Chunk, report: LoadReport, demo: int) -> None:
    # One transaction per chunk: a crash loses at most the chunk in flight.
    for table, frame in chunk.tables():
        if table == lifecycle.TRANSITIONS.name:  # the lifecycle writes (and checks) stage moves
            report.add(table, lifecycle.write_history(writer, frame))
        else:
            report.add(table, writer.write(table, _sourced(table, frame, demo)))
    writer.commit()
