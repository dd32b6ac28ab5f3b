"""`tandem import ...` and `tandem contacts merge`: thin adapters over `jobs` and `merge`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from tandem.cli.context import console, engine, fail, settings
from tandem.csv_export import to_csv
from tandem.ingest import datasets, jobs, report
from tandem.ingest.fields import KINDS_ORDER
from tandem.ingest.mapping import PROFILES, Mapping, MappingError, load_mapping, profile_mapping

app = typer.Typer(
    help="Import CSV exports (HubSpot, Salesforce, any CSV with a mapping, real data sets).",
    no_args_is_help=True,
)
contacts_app = typer.Typer(help="Contact maintenance.", no_args_is_help=True)
SHOWN_ERRORS = 20
CHUNK_HELP = (
    "Rows per committed chunk (default for contacts and activities: "
    f"{jobs.FRAME_CHUNK_ROWS['sqlite']:,} on SQLite, {jobs.FRAME_CHUNK_ROWS['postgresql']:,} on "
    f"PostgreSQL; {jobs.CHUNK_ROWS:,} otherwise)."
)


def _tx() -> jobs.ChunkTx:
    return engine().begin


def _mapping(kind: str, profile: str, mapping_file: Path | None) -> Mapping:
    try:
        return load_mapping(mapping_file, kind) if mapping_file else profile_mapping(profile, kind)
    except MappingError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        raise typer.Exit(1) from None


def _run(tx: jobs.ChunkTx, job_id: int, chunk_rows: int | None, action: Any = jobs.run_job) -> None:
    """Run a job with a progress bar, print its report; exit 1 when it failed."""
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"import job {job_id}", total=None)
        try:
            action(
                tx,
                job_id,
                chunk_rows=chunk_rows,
                bulk_min_rows=settings().ingest_bulk_min_rows,
                on_progress=lambda done, size: bar.update(task, completed=done, total=size),
            )
        except jobs.JobError:
            pass  # recorded on the job; printed below
        except Exception as exc:
            console.print(f"[red]stopped:[/] {exc}")
    _print_report(tx, job_id)


def _print_report(tx: jobs.ChunkTx, job_id: int) -> None:
    job = jobs.get_job(tx, job_id)
    console.print(report.summary(job), highlight=False)
    for line in report.note_lines(job):
        console.print(line, highlight=False)
    errors = jobs.list_errors(tx, job_id, limit=SHOWN_ERRORS + 1)
    for error in errors[:SHOWN_ERRORS]:
        console.print(report.error_line(job["file_name"], error), highlight=False, markup=False)
    if len(errors) > SHOWN_ERRORS:
        console.print(f"... see all with: tandem import errors {job_id}")
    if job["status"] != "done":
        raise typer.Exit(1)


def _kind_command(kind: str) -> None:
    def command(
        file: Path = typer.Argument(..., help="The CSV file."),
        profile: str = typer.Option("generic", help=f"One of: {', '.join(PROFILES)}."),
        mapping: Path | None = typer.Option(None, help="A mapping YAML (generic profile)."),
        chunk_rows: int | None = typer.Option(None, help=CHUNK_HELP),
        source: str | None = typer.Option(
            None, help="Name of the records' source (default: the profile's name)."
        ),
    ) -> None:
        tx = _tx()
        chosen = _mapping(kind, profile, mapping)
        job_id = jobs.create_job(
            tx, path=file, kind=kind, profile=profile, mapping=chosen, source=source
        )
        _run(tx, job_id, chunk_rows)

    command.__doc__ = f"Import {kind} from a CSV file."
    app.command(kind)(command)


for _kind in KINDS_ORDER:
    _kind_command(_kind)


@app.command("resume")
def resume(job: int, chunk_rows: int | None = typer.Option(None, help=CHUNK_HELP)) -> None:
    """Finish an interrupted import from its last checkpoint."""
    tx = _tx()
    try:
        jobs.get_job(tx, job)
    except jobs.JobError as exc:
        raise fail(str(exc)) from None
    _run(tx, job, chunk_rows, jobs.resume_job)


@app.command("errors")
def errors(
    job: int,
    csv_out: Path | None = typer.Option(None, "--csv", help="Write the rows to fix as CSV."),
) -> None:
    """List a job's quarantined rows (file:line: field: reason), or export them for fixing."""
    tx = _tx()
    try:
        found = jobs.get_job(tx, job)
        if csv_out is not None:
            header, rows = jobs.export_errors(tx, job)
            # Cells a spreadsheet would run as formulas get a leading apostrophe, which the
            # spreadsheet shows as text and leaves out when the fixed file is saved again.
            csv_out.write_text(to_csv(header, rows), encoding="utf-8", newline="")
            console.print(f"{len(rows)} rows written to {csv_out}")
            return
        for error in jobs.list_errors(tx, job):
            state = " (fixed)" if error["resolved_by_job_id"] else ""
            typer.echo(report.error_line(found["file_name"], error) + state)
    except jobs.JobError as exc:
        raise fail(str(exc)) from None


@app.command("retry")
def retry(
    job: int,
    fixed: Path = typer.Option(..., help="Corrected rows (e.g. from `errors JOB --csv`)."),
    chunk_rows: int | None = typer.Option(None, help=CHUNK_HELP),
) -> None:
    """Re-import corrected rows of a job as a new job with the same kind and mapping."""
    tx = _tx()
    try:
        new_id = jobs.create_retry(tx, job, fixed)
    except jobs.JobError as exc:
        raise fail(str(exc)) from None
    _run(tx, new_id, chunk_rows)


@app.command("dataset")
def dataset(
    name: str = typer.Argument(..., help=f"One of: {', '.join(datasets.DATASETS)}."),
    directory: Path = typer.Argument(..., help="The data set's folder."),
) -> None:
    """Import a real data set (olist, maven-crm) file by file, traps handled and reported."""
    try:
        steps = datasets.plan(name, directory, settings().data_dir / "imports")
    except (ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None
    tx = _tx()
    for step in steps:
        mapping = profile_mapping(name, step.kind)
        job_id = jobs.create_job(
            tx, path=step.path, kind=step.kind, profile=name, mapping=mapping, notes=step.notes
        )
        _run(tx, job_id, None)


@app.command("jobs")
def list_jobs(limit: int = typer.Option(20)) -> None:
    """The latest import jobs."""
    from sqlalchemy import select

    with engine().connect() as connection:
        rows = connection.execute(
            select(jobs.JOBS).order_by(jobs.JOBS.c.id.desc()).limit(limit)
        ).mappings()
        for row in rows:
            console.print(report.summary(dict(row)), highlight=False)


@contacts_app.command("merge")
def merge_contacts(
    keep: str = typer.Argument(..., help="The contact to keep (id or email)."),
    other: str = typer.Argument(..., help="The duplicate, merged into KEEP then removed."),
) -> None:
    """Merge two contacts: history, deals and stage moves of OTHER move to KEEP (audited)."""
    from tandem.cli.context import db_session
    from tandem.ingest import merge

    with db_session() as db:
        try:
            result = merge.merge_contacts(db_session=db, keep=keep, other=other, actor_user_id=None)
        except merge.MergeError as exc:
            raise fail(str(exc)) from None
        console.print(merge.describe(result), highlight=False)
