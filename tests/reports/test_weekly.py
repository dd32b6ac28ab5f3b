"""The weekly revenue review: its answers, the page, the PDF, the CLI and the email."""

import re
import socket
import zlib
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from tandem.analytics.snapshot import load_facts
from tandem.reports import mail, service
from tandem.reports.present import TITLES
from tandem.reports.render import render_html, render_pdf
from tests.analytics.conftest import AS_OF, seed_world


def pdf_outline(data: bytes) -> list[str]:
    """Bookmark titles of a WeasyPrint PDF (one per heading), read from its object streams."""
    titles = []
    for match in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", match.end())
        try:
            raw = zlib.decompress(data[match.end() : end])
        except zlib.error:
            continue
        titles += [t.decode("latin-1") for t in re.findall(rb"/Title \(((?:[^()\\]|\\.)*)\)", raw)]
    return titles


def review(db, week="2026-W47"):
    facts = load_facts(db_session=db, loaded_at=AS_OF)
    return service.build_weekly(db_session=db, facts=facts, as_of=AS_OF, week=week)


def test_review_answers_in_order(db):
    seed_world(db)
    vm = review(db)
    assert (vm.week, vm.has_data) == ("2026-W47", True)
    closing = {r.deal_type: r for r in vm.closing_week}
    assert closing["new"].won == 1 and closing["upsell"].lost == 1
    assert vm.revenue.week_won == 50000 and vm.revenue.quarter_won == 55000
    assert vm.revenue.pace is None  # no target set: said, not invented
    regions = {r.region: r.won_amount for r in vm.regions}
    assert regions == {"emea": 50000, "apac": 5000}
    verticals = {v.vertical: v.leads_week for v in vm.verticals}
    assert verticals == {"software": 3, "retail": 2}
    ltv = {s.segment: s for s in vm.ltv}
    assert ltv["enterprise"].customers == 1 and ltv["enterprise"].ltv is None
    assert "one customer" in ltv["enterprise"].note


def test_gaps_name_where_they_sit(db):
    seed_world(db)
    vm = review(db, "2026-W48")  # the week after: nothing happened yet, everything fell
    metrics = {g.metric: g for g in vm.gaps}
    assert (
        metrics["Won revenue"].gap == 50000
        and metrics["Won revenue"].where == "segment enterprise: 50,000 less"
    )
    assert metrics["New leads"].reference == 5
    assert not vm.has_data and "has no data" in vm.notices[0].message


def test_a_target_gap_appears_with_its_pace(db):
    from tandem.goals import service as goals
    from tandem.goals.schemas import GoalIn

    seed_world(db)
    goals.set_goal(
        db_session=db, goal_in=GoalIn(team="marketing", metric="mqls", period="2026-W47", target=40)
    )
    vm = review(db)
    target = [g for g in vm.gaps if g.against == "target"]
    assert target and target[0].metric.startswith("MQLs (marketing")
    assert target[0].actual == 4


def test_html_and_pdf_carry_every_section_and_chart(db):
    seed_world(db)
    vm = review(db)
    html = render_html(vm)
    positions = [html.index(title) for title in TITLES]
    assert positions == sorted(positions)  # the order
    assert html.count("<svg") >= 4 and "<script" not in html
    pdf = render_pdf(vm)
    assert pdf.startswith(b"%PDF")
    outline = pdf_outline(pdf)
    numbered = [t for t in outline if t[:1].isdigit()]
    # The core sections come first; capabilities' sections (`review_sections`) follow.
    assert numbered[: len(TITLES)] == [f"{i}. {t}" for i, t in enumerate(TITLES, 1)]
    assert len(numbered) == len(TITLES) + len(vm.more)
    assert pdf.count(b"/Subtype /Form") + pdf.count(b"/XObject") > 0


def test_week_without_data_and_bad_week_label(db):
    vm = review(db, "2020-W10")
    assert not vm.has_data and "2020-W10 has no data" in vm.notices[0].message
    html = render_html(vm)
    assert "No deal closed in 2020-W10" in html and "<svg" not in html
    with pytest.raises(service.ReportError, match="not an ISO week"):
        review(db, "2026-11")


def test_weekly_page_pdf_and_json(as_cro, db):
    seed_world(db)
    page = as_cro.get("/reports/weekly?week=2026-W47")
    assert page.status_code == 200 and "Weekly revenue review · 2026-W47" in page.text
    assert "1. What types of deals are closing" in page.text
    assert as_cro.get("/reports/weekly.pdf?week=2026-W47").content.startswith(b"%PDF")
    assert as_cro.get("/api/v1/reports/weekly?week=2026-W47").json()["revenue"]["week_won"] == 50000
    bad = as_cro.get("/reports/weekly?week=soon")
    assert bad.status_code == 422 and "is not a period" in bad.text


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2026, 11, 23, 6, tzinfo=UTC), "2026-W46"),  # Monday before 07:00
        (datetime(2026, 11, 23, 7, tzinfo=UTC), "2026-W47"),  # Monday 07:00: last week is due
        (datetime(2026, 11, 29, 23, tzinfo=UTC), "2026-W47"),
    ],
)
def test_due_week(now, due):
    assert mail.due_week(now, weekday=1, hour=7).label == due


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Keep:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    handler = Keep()
    handler.messages = []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler.messages
    finally:
        controller.stop()


def test_email_goes_to_subscribers_once_per_week(db, settings, smtp_server):
    port, received = smtp_server
    seed_world(db)
    service.subscribe(db_session=db, email="CRO@example.com")
    service.subscribe(db_session=db, email="cmo@example.com")
    service.subscribe(db_session=db, email="gone@example.com")
    assert service.unsubscribe(db_session=db, email="gone@example.com")
    configured = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    facts = load_facts(db_session=db, loaded_at=AS_OF)
    monday = datetime(2026, 11, 23, 8, tzinfo=UTC)
    week, count = mail.send_weekly(
        db_session=db, facts=facts, settings=configured, as_of=monday, only_if_due=True
    )
    assert (week, count) == ("2026-W47", 2)
    again = mail.send_weekly(
        db_session=db, facts=facts, settings=configured, as_of=monday, only_if_due=True
    )
    assert again == ("2026-W47", 0) and len(received) == 1
    envelope = received[0]
    assert sorted(envelope.rcpt_tos) == ["cmo@example.com", "cro@example.com"]
    body = envelope.content.decode()
    assert "Weekly revenue review 2026-W47" in body and "application/pdf" in body
    assert "gone@example.com" not in body


def test_cli_writes_pdf_and_html(tmp_path, monkeypatch):
    from tandem.cli.main import app as cli
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(make_engine(url))
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    out = tmp_path / "review.pdf"
    result = runner.invoke(
        cli, ["report", "weekly", "--week", "2026-W47", "--format", "pdf", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    html = runner.invoke(cli, ["report", "weekly", "--week", "2026-W47"])
    assert "2026-W47 has no data" in html.output
    bad = runner.invoke(cli, ["report", "weekly", "--format", "docx"])
    assert bad.exit_code == 1 and "--format must be html or pdf" in bad.output
    no_smtp = runner.invoke(cli, ["report", "subscribe", "a@example.com"])
    assert no_smtp.exit_code == 0
    send = runner.invoke(cli, ["report", "send", "--week", "2026-W47"])
    assert send.exit_code == 1 and "TANDEM_SMTP_HOST" in send.output


def test_attributed_revenue_comes_from_the_stored_run(db):
    from datetime import timedelta

    from tandem.attribution import default_config
    from tandem.attribution.store import run_full
    from tests.attribution import world
    from tests.factories import T0

    world.build(db)  # won 10,000 on 2026-04-01 (four touches), 2,500 on 2026-05-01 (none)
    before = review(db, "2026-W18")
    assert before.attribution is None
    assert "Not computed yet — run `tandem attribution run`." in render_html(before)
    run_full(db_session=db, config=default_config(), now=T0 + timedelta(days=90))
    vm = review(db, "2026-W18")
    a = vm.attribution
    assert a.model == "w_shaped" and a.model_label == "W-shaped"
    assert (a.attributed, a.unattributed, a.not_computed_deals) == (10000, 2500, 0)
    assert sum(r.revenue for r in a.by_channel) == sum(r.revenue for r in a.by_campaign) == 10000
    html = render_html(vm)
    assert "8. Attributed revenue by campaign and channel" in html and "Search ads" in html
    assert "credited by the W-shaped model" in html
