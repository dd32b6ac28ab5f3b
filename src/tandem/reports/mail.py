"""Email the weekly review to its subscribers over SMTP (the TANDEM_SMTP_* settings).

The HTML review is the message body (inline SVG charts, no remote images) and the PDF rides
along as an attachment. The schedule: each week's review is due from `report_weekday` (ISO,
1 = Monday) at `report_hour` UTC after the week ends; `send_if_due` sends it once.
"""

from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.orm import Session

from tandem import mail
from tandem.analytics.frames import Facts
from tandem.analytics.periods import Period
from tandem.reports import service
from tandem.reports.render import render_html, render_pdf
from tandem.reports.schemas import WeeklyReview
from tandem.reports.weekly import last_complete_week
from tandem.settings import Settings


def due_week(now: datetime, *, weekday: int, hour: int) -> Period:
    """The week whose review is due at `now`: the last complete week once its send time has
    passed, else the week before it. Pure."""
    week = last_complete_week(now)
    send_at = week.end_at + timedelta(days=weekday - 1, hours=hour)
    return week if now >= send_at else last_complete_week(now - timedelta(days=7))


def message(vm: WeeklyReview, *, sender: str) -> EmailMessage:
    """The review as an HTML email with the PDF attached."""
    msg = EmailMessage()
    msg["Subject"] = f"Weekly revenue review {vm.week}"
    msg["From"] = sender
    # Subscribers do not see each other's addresses: they are given to SMTP, not the headers.
    msg["To"] = "undisclosed-recipients:;"
    msg.set_content(
        f"The weekly revenue review for {vm.week} is attached as a PDF "
        "(this email's HTML part shows it inline)."
    )
    msg.add_alternative(render_html(vm), subtype="html")
    msg.add_attachment(
        render_pdf(vm),
        maintype="application",
        subtype="pdf",
        filename=f"tandem-weekly-{vm.week}.pdf",
    )
    return msg


def send_weekly(
    *,
    db_session: Session,
    facts: Facts,
    settings: Settings,
    as_of: datetime,
    week: str | None = None,
    only_if_due: bool = False,
) -> tuple[str, int]:
    """Send a week's review to every subscriber; returns (week, recipients).

    With `only_if_due`, the due week is sent unless it already went out (0 recipients then),
    so a scheduler may call this as often as it likes.
    """
    if only_if_due:
        week = due_week(as_of, weekday=settings.report_weekday, hour=settings.report_hour).label
        if service.was_sent(db_session=db_session, week=week):
            return week, 0
    vm = service.build_weekly(db_session=db_session, facts=facts, as_of=as_of, week=week)
    recipients = service.subscribers(db_session=db_session)
    if not recipients:
        return vm.week, 0
    mail.send(settings, message(vm, sender=settings.smtp_from), recipients=recipients)
    if not service.was_sent(db_session=db_session, week=vm.week):
        service.record_sent(
            db_session=db_session, week=vm.week, recipients=len(recipients), at=as_of
        )
    return vm.week, len(recipients)
