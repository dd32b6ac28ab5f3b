"""`tandem webhooks add|list|remove|deliveries|send`: outgoing webhooks from the shell."""

import typer
from rich.table import Table

from tandem.cli.context import console, db_session, engine, fail
from tandem.db import make_session_factory, utcnow
from tandem.webhooks import service, worker
from tandem.webhooks.schemas import SubscriptionIn
from tandem.webhooks.topics import TOPICS

app = typer.Typer(
    help="Outgoing webhooks: subscriptions and their deliveries.", no_args_is_help=True
)


@app.command("add")
def add(
    url: str = typer.Argument(..., help="Where to POST (http:// or https://)."),
    events: str = typer.Option("all", help=f"Comma-separated, or all: {', '.join(TOPICS)}."),
    description: str = typer.Option("", help="What it is for (shown in the list)."),
) -> None:
    """Subscribe a URL; prints the signing secret (shown this once)."""
    with db_session() as db:
        try:
            data = SubscriptionIn(
                url=url, events=events.replace(",", " ").split(), description=description
            )
            created = service.add(db_session=db, data=data, by_user_id=None, now=utcnow())
        except (ValueError, service.WebhookError) as exc:
            raise fail(str(exc).splitlines()[-1].strip()) from None
    console.print(f"webhook {created.id}: {created.url} ({' '.join(created.events)})")
    console.print("secret (keep it; it is not shown again):")
    console.print(created.secret, highlight=False, soft_wrap=True)


@app.command("list")
def list_webhooks() -> None:
    """Every subscription."""
    with db_session() as db:
        rows = service.subscriptions(db_session=db)
    table = Table("id", "url", "events", "description", "since")
    for r in rows:
        table.add_row(
            str(r.id), r.url, " ".join(r.events), r.description, r.created_at.strftime("%Y-%m-%d")
        )
    console.print(table)


@app.command("remove")
def remove(
    webhook_id: int = typer.Argument(..., help="The id `tandem webhooks list` shows."),
) -> None:
    """Remove a subscription and its delivery log."""
    with db_session() as db:
        try:
            service.remove(db_session=db, subscription_id=webhook_id, by_user_id=None)
        except service.WebhookError as exc:
            raise fail(str(exc)) from None
    console.print(f"webhook {webhook_id} removed")


@app.command("deliveries")
def deliveries(
    webhook_id: int | None = typer.Option(None, "--webhook", help="Only this subscription's."),
    limit: int = typer.Option(50, min=1, max=1000, help="How many, newest first."),
) -> None:
    """The delivery log: status, attempts and the last answer."""
    with db_session() as db:
        try:
            rows = service.deliveries(db_session=db, subscription_id=webhook_id, limit=limit)
        except service.WebhookError as exc:
            raise fail(str(exc)) from None
    table = Table("id", "webhook", "event", "status", "attempts", "last answer", "queued")
    for d in rows:
        answer = d.last_error or (str(d.last_status) if d.last_status else "")
        table.add_row(
            str(d.id),
            str(d.subscription_id),
            d.event,
            d.status,
            str(d.attempts),
            answer,
            d.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@app.command("send")
def send() -> None:
    """Send the deliveries that are due now (what `tandem serve`'s worker does; for cron)."""
    factory = make_session_factory(engine())
    total = {"delivered": 0, "retrying": 0, "failed": 0}
    while True:  # batch after batch until nothing is due (a retry waits for its time)
        report = worker.deliver_due(factory)
        if not (report.delivered or report.retrying or report.failed):
            break
        for name in total:
            total[name] += getattr(report, name)
    console.print(", ".join(f"{name} {count}" for name, count in total.items()))
