"""`tandem survey ...` (instruments and waves) and `tandem alignment report`."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from tandem.alignment import service
from tandem.alignment.definitions import SHIPPED, parse_text
from tandem.alignment.instrument import AUDIENCES
from tandem.cli.context import console, db_session, fail, settings
from tandem.db import utcnow
from tandem.definitions.base import has_errors

survey_app = typer.Typer(help="Alignment surveys: instruments and waves.", no_args_is_help=True)
alignment_app = typer.Typer(help="The alignment report.", no_args_is_help=True)


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class ReportFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    PDF = "pdf"


@survey_app.command("validate")
def validate(file: Path = typer.Argument(..., help="An instrument's YAML.")) -> None:
    """Check an instrument: every issue as `file:line: level: message`; exit 1 on errors."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}") from None
    inst, issues = parse_text(text, str(file))
    for issue in issues:
        typer.echo(str(issue))
    if inst is None or has_errors(issues):
        raise typer.Exit(1)
    count = len(list(inst.statements()))
    typer.echo(f"{file}: ok: {len(inst.dimensions)} dimensions, {count} statements")


@survey_app.command("statements")
def statements(
    instrument: str = typer.Option("default", help="The instrument: default or customer."),
    file: Path | None = typer.Option(None, help="List a file's statements instead."),
    format: ListFormat = typer.Option(ListFormat.TABLE, "--format"),
) -> None:
    """The statements of the active instrument (ids, audiences, tied metrics)."""
    if file is not None:
        inst, issues = parse_text(file.read_text(encoding="utf-8"), str(file))
        if inst is None or has_errors(issues):
            raise fail(f"{file} has errors: `tandem survey validate {file}`")
    else:
        with db_session() as db:
            try:
                _, inst = service.active_instrument(db_session=db, name=instrument, at=utcnow())
            except service.SurveyError as exc:
                raise fail(str(exc)) from None
    rows = [
        {
            "id": s.id,
            "dimension": d.id,
            "type": s.type,
            "audiences": list(s.audiences),
            "text": s.text,
            "metric": s.metric,
        }
        for d, s in inst.statements()
    ]
    if format is ListFormat.JSON:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "dimension", "type", "audiences", "metric", "text")
    for r in rows:
        table.add_row(
            r["id"],
            r["dimension"],
            r["type"],
            ",".join(r["audiences"]),
            r["metric"] or "",
            r["text"],
        )
    console.print(table)


@survey_app.command("open")
def open_wave(
    name: str = typer.Argument(..., help="The wave's name, e.g. 2026-Q4."),
    instrument: str = typer.Option("default", help=f"One of: {', '.join(SHIPPED)}."),
    period_from: dt.datetime | None = typer.Option(None, "--from", help="Period asked about."),
    period_to: dt.datetime | None = typer.Option(None, "--to", help="Its last day."),
    min_group: int | None = typer.Option(None, min=2, help="Smallest group reported."),
) -> None:
    """Start a wave of the active instrument (no mail is sent; `survey send` sends it)."""
    with db_session() as db:
        try:
            wave = service.open_wave(
                db_session=db,
                name=name,
                at=utcnow(),
                instrument=instrument,
                period_start=period_from.date() if period_from else None,
                period_end=period_to.date() if period_to else None,
                min_group=min_group,
            )
        except service.SurveyError as exc:
            raise fail(str(exc)) from None
        console.print(
            f"wave {wave.name} open: instrument {wave.instrument}, period "
            f"{wave.period_start} to {wave.period_end}, groups of {wave.min_group} or more"
        )


@survey_app.command("send")
def send(
    name: str = typer.Argument(..., help="The wave."),
    to: list[str] = typer.Option(
        ["marketing", "sales"], "--to", help=f"Audiences to invite: {', '.join(AUDIENCES)}."
    ),
    account: list[int] = typer.Option([], help="Customers: only these account ids."),
    remind: bool = typer.Option(False, help="Remind those who have not answered (new links)."),
) -> None:
    """Email personal one-time links (to the people not invited yet), or reminders."""
    from tandem.alignment import mail

    current = settings()
    if not current.smtp_host:
        raise fail("set TANDEM_SMTP_HOST (and TANDEM_SMTP_PORT) to send email")
    audiences = [a for part in to for a in part.split(",") if a]
    unknown = [a for a in audiences if a not in AUDIENCES]
    if unknown:
        raise fail(f"unknown audience {unknown[0]!r}: one of {', '.join(AUDIENCES)}")
    now = utcnow()
    with db_session() as db:
        try:
            wave = service.get_wave(db_session=db, name=name)
            if remind:
                made = service.renew_unanswered(db_session=db, wave=wave, at=now)
            else:
                people = service.team_invitees(db_session=db, audiences=audiences)
                if "customer" in audiences:
                    people += service.customer_invitees(db_session=db, account_ids=account)
                made = service.invite(db_session=db, wave=wave, invitees=people, at=now)
            done = mail.deliver(
                db_session=db, settings=current, wave=wave, made=made, at=now, reminder=remind
            )
        except service.SurveyError as exc:
            raise fail(str(exc)) from None
    what = ("reminder" if remind else "invitation") + ("" if done.sent == 1 else "s")
    console.print(f"{done.sent} {what} sent for wave {name}")
    if done.failed:
        raise fail(f"{len(done.failed)} not delivered: {', '.join(done.failed[:10])}")


@survey_app.command("import-responses")
def import_responses(
    file: Path = typer.Argument(..., help="CSV: respondent,audience,statement,answer[,account]."),
    wave: str = typer.Option(..., "--wave", help="The wave the answers belong to."),
) -> None:
    """Responses from another survey tool; one bad row refuses the file (nothing stored)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc}") from None
    with db_session() as db:
        try:
            done = service.import_responses(db_session=db, wave_name=wave, data=data)
        except service.BadResponses as exc:
            raise fail(f"{file}: nothing imported:\n" + "\n".join(exc.problems)) from None
        except service.SurveyError as exc:
            raise fail(str(exc)) from None
    console.print(f"{done['rows']} answers from {done['respondents']} respondents imported")


@survey_app.command("close")
def close(name: str = typer.Argument(..., help="The wave.")) -> None:
    """Close a wave: its links stop working and its report is final."""
    with db_session() as db:
        try:
            wave = service.close_wave(db_session=db, name=name, at=utcnow())
        except service.SurveyError as exc:
            raise fail(str(exc)) from None
        console.print(f"wave {wave.name} closed at {wave.closed_at:%Y-%m-%d %H:%M} UTC")


@alignment_app.command("report")
def report(
    wave: str | None = typer.Option(None, "--wave", help="Default: the latest closed wave."),
    format: ReportFormat = typer.Option(ReportFormat.JSON, "--format"),
    out: Path | None = typer.Option(None, "--out", help="Write here (PDF: required)."),
) -> None:
    """A wave's alignment report: gaps, say versus do, the three indexes and their trend."""
    from tandem.alignment import render, reporting
    from tandem.analytics.cache import FactsCache
    from tandem.analytics.store import facts_store

    current = settings()
    with db_session() as db:
        cache = FactsCache(refresh_seconds=0, background=False, store=facts_store(current))
        try:
            vm = reporting.report(
                db_session=db, facts=cache.get(db), as_of=utcnow(), wave_name=wave
            )
        except service.SurveyError as exc:
            raise fail(str(exc)) from None
    if format is ReportFormat.JSON:
        text = vm.model_dump_json(indent=2)
        if out:
            out.write_text(text, encoding="utf-8")
        else:
            typer.echo(text)
    elif format is ReportFormat.HTML:
        html = render.render_html(vm)
        if out:
            out.write_text(html, encoding="utf-8")
        else:
            typer.echo(html)
    else:
        if out is None:
            raise fail("--out FILE is required for a PDF")
        out.write_bytes(render.render_pdf(vm))
    if out:
        console.print(f"wrote {out}")
