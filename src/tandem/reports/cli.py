"""`tandem report ...`: the weekly revenue review as HTML or PDF, and its email schedule."""

import importlib
import threading
from pathlib import Path
from typing import Literal

import typer

from tandem.analytics.cache import FactsCache
from tandem.analytics.frames import Facts
from tandem.analytics.store import facts_store
from tandem.cli.context import console, db_session, fail, settings
from tandem.db import utcnow
from tandem.mail import MailNotConfigured
from tandem.reports import mail, service
from tandem.reports.render import render_html, render_pdf

app = typer.Typer(help="The weekly revenue review.", no_args_is_help=True)


def _facts(db) -> Facts:
    # The Parquet copy the web app keeps makes this quick when the data has not changed. It is
    # read whole: the capabilities' review sections read their own relations.
    store = facts_store(settings())
    return FactsCache(refresh_seconds=0, background=False, store=store).get(db)


@app.command("weekly")
def weekly(
    week: str | None = typer.Option(None, help="ISO week, e.g. 2026-W47 (default: last week)."),
    format: str = typer.Option("html", help="html or pdf."),
    out: Path | None = typer.Option(None, help="Write here (default: stdout for html)."),
) -> None:
    """Write the weekly revenue review as HTML or PDF."""
    if format not in ("html", "pdf"):
        raise fail(f"--format must be html or pdf, not {format!r}")
    kind: Literal["html", "pdf"] = format  # type: ignore[assignment]
    if kind == "pdf":
        # WeasyPrint takes seconds to import: do it while the facts and the review are read.
        threading.Thread(target=importlib.import_module, args=("weasyprint",), daemon=True).start()
    with db_session() as db:
        try:
            vm = service.build_weekly(db_session=db, facts=_facts(db), as_of=utcnow(), week=week)
        except service.ReportError as exc:
            raise fail(str(exc)) from None
    if kind == "pdf":
        target = out or Path(f"tandem-weekly-{vm.week}.pdf")
        target.write_bytes(render_pdf(vm))
        console.print(f"weekly review {vm.week} written to {target}")
    elif out is None:
        typer.echo(render_html(vm))
    else:
        out.write_text(render_html(vm))
        console.print(f"weekly review {vm.week} written to {out}")


@app.command("send")
def send(
    week: str | None = typer.Option(None, help="ISO week (default: last complete week)."),
    if_due: bool = typer.Option(False, "--if-due", help="Only the due week, once (for cron)."),
) -> None:
    """Email the weekly review (HTML with the PDF attached) to every subscriber."""
    current = settings()
    with db_session() as db:
        try:
            sent_week, count = mail.send_weekly(
                db_session=db,
                facts=_facts(db),
                settings=current,
                as_of=utcnow(),
                week=week,
                only_if_due=if_due,
            )
        except (service.ReportError, MailNotConfigured, OSError) as exc:
            raise fail(str(exc)) from None
    console.print(f"weekly review {sent_week} sent to {count} subscriber(s)")


@app.command("subscribe")
def subscribe(email: str) -> None:
    """Send the weekly review to EMAIL."""
    with db_session() as db:
        try:
            service.subscribe(db_session=db, email=email)
        except service.ReportError as exc:
            raise fail(str(exc)) from None
    console.print(f"{email} subscribed to the weekly review")


@app.command("unsubscribe")
def unsubscribe(email: str) -> None:
    """Stop sending the weekly review to EMAIL."""
    with db_session() as db:
        if not service.unsubscribe(db_session=db, email=email):
            raise fail(f"{email} is not subscribed")
    console.print(f"{email} unsubscribed")


@app.command("subscribers")
def subscribers() -> None:
    """List the weekly review's subscribers."""
    with db_session() as db:
        for email in service.subscribers(db_session=db):
            console.print(email)
