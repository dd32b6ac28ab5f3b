"""A wave end to end on both databases: invitations by real SMTP with one-time links, the
survey form, anonymity, a link used twice or after closing, reminders, CSV imports."""

import hashlib
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from tandem.alignment import mail, reporting, service
from tandem.alignment.models import SurveyInvitation, SurveyResponse, SurveyWave
from tandem.web.csrf import CSRF_COOKIE

AT = datetime(2026, 11, 20, 12, tzinfo=UTC)
LINK = re.compile(r"http://testserver/survey/([A-Za-z0-9_-]+)")


def send_wave(db, settings, audiences=("marketing", "sales", "customer")):
    wave = service.open_wave(db_session=db, name="2026-Q4", at=AT)
    people = service.team_invitees(db_session=db, audiences=audiences)
    people += service.customer_invitees(db_session=db)
    made = service.invite(db_session=db, wave=wave, invitees=people, at=AT)
    return wave, mail.deliver(db_session=db, settings=settings, wave=wave, made=made, at=AT)


def links(inbox) -> dict[str, str]:
    """Recipient -> token, from the messages received."""
    return {m["To"]: LINK.search(m.get_content()).group(1) for m in inbox.messages}


def answer(client, token, answers):
    client.get(f"/survey/{token}")
    data = {"csrf_token": client.cookies.get(CSRF_COOKIE), **answers}
    return client.post(f"/survey/{token}", data=data)


def stored(db) -> int:
    return db.scalar(select(func.count()).select_from(SurveyResponse))


def test_invitations_go_by_smtp_with_personal_one_time_links(db, people, smtp):
    inbox, settings = smtp
    wave, sent = send_wave(db, settings)
    assert sent.sent == 12 and sent.failed == []  # 5 marketers, 5 in sales, 2 customers
    tokens = links(inbox)
    assert set(tokens) == {u.email for u in people.marketers + people.sales} | {
        c.email for c in people.customers
    }
    assert len(set(tokens.values())) == 12
    assert "anonymous" in inbox.messages[0].get_content()
    # Only the hash of a token is stored.
    hashes = set(db.scalars(select(SurveyInvitation.token_hash)))
    assert hashes == {hashlib.sha256(t.encode()).hexdigest() for t in tokens.values()}
    # Sending again invites nobody twice.
    again = service.invite(
        db_session=db,
        wave=wave,
        invitees=service.team_invitees(db_session=db, audiences=["marketing"]),
        at=AT,
    )
    assert again == []


def test_answering_once_through_the_link_and_never_twice(client, db, people, smtp):
    inbox, settings = smtp
    send_wave(db, settings)
    tokens = links(inbox)
    rep_token = tokens[people.sales[0].email]
    form = client.get(f"/survey/{rep_token}")
    assert form.status_code == 200 and "Sales follows up on new MQLs within one business day" in (
        form.text
    )
    customer_form = client.get(f"/survey/{tokens[people.customers[0].email]}")
    assert "a person got back to me within a day" in customer_form.text
    assert "written definition of a qualified lead" not in customer_form.text  # teams only

    bad = answer(client, rep_token, {"leads_accepted": "6"})
    assert bad.status_code == 422 and "whole number from 1 to 5" in bad.text
    assert stored(db) == 0  # nothing half-stored, and the link still works

    done = answer(
        client, rep_token, {"leads_accepted": "2", "one_system": "4", "improve": "Meet weekly"}
    )
    assert done.status_code == 200 and "Thank you" in done.text
    assert stored(db) == 3
    twice = answer(client, rep_token, {"leads_accepted": "5"})
    assert twice.status_code == 410 and "used already" in twice.text
    assert stored(db) == 3
    # The answers carry no link to the person: no user, email, invitation or time.
    columns = {c["name"] for c in inspect(db.connection()).get_columns("survey_responses")}
    assert columns == {
        "id", "wave_id", "respondent", "audience", "account", "statement", "answer", "comment"
    }  # fmt: skip
    keys = set(db.scalars(select(SurveyResponse.respondent)))
    assert len(keys) == 1 and rep_token not in next(iter(keys))
    assert set(db.scalars(select(SurveyResponse.audience))) == {"sales"}


def test_a_link_after_the_wave_closed_is_refused(client, db, people, smtp):
    inbox, settings = smtp
    send_wave(db, settings)
    token = links(inbox)[people.marketers[0].email]
    assert client.get(f"/survey/{token}").status_code == 200  # the form, opened in time
    csrf = client.cookies.get(CSRF_COOKIE)
    service.close_wave(db_session=db, name="2026-Q4", at=AT)
    refused = client.post(f"/survey/{token}", data={"csrf_token": csrf, "leads_accepted": "4"})
    assert refused.status_code == 410 and "has closed" in refused.text
    assert stored(db) == 0
    assert client.get("/survey/nonsense").status_code == 404


def test_reminders_replace_the_unused_links(client, db, people, smtp):
    inbox, settings = smtp
    wave, _ = send_wave(db, settings, audiences=("marketing",))
    first = links(inbox)
    used = first[people.marketers[0].email]
    assert answer(client, used, {"leads_accepted": "4"}).status_code == 200
    inbox.messages.clear()
    made = service.renew_unanswered(db_session=db, wave=wave, at=AT)
    sent = mail.deliver(
        db_session=db, settings=settings, wave=wave, made=made, at=AT, reminder=True
    )
    assert sent.sent == 6  # 4 marketers and 2 customers had not answered
    assert inbox.messages[0]["Subject"].startswith("Reminder: ")
    second = links(inbox)
    assert people.marketers[0].email not in second
    someone = people.marketers[1].email
    assert client.get(f"/survey/{first[someone]}").status_code == 404  # the old link is dead
    assert answer(client, second[someone], {"leads_accepted": "5"}).status_code == 200
    rates = {r[0]: r[1:] for r in service.rates(db_session=db, wave=wave)}
    assert rates["marketing"] == (5, 2) and rates["customer"] == (2, 0)


CSV_OK = "respondent,audience,statement,answer\nsecret-person-7,sales,leads_accepted,2\n"


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("secret-person-7,sales,vibes,3\n", "row 3: statement: not a statement of this wave's"),
        ("secret-person-8,sales,one_system,6\n", "row 3: answer: the answer must be a whole"),
        ("secret-person-8,board,one_system,3\n", "row 3: audience: must be one of"),
        ("secret-person-7,sales,leads_accepted,3\n", "row 3: statement: answered twice"),
        ("secret-person-8,customer,mql_definition,3\n", "is not asked of customer"),
    ],
)
def test_a_bad_csv_is_refused_whole_without_naming_the_respondent(db, extra, problem):
    service.open_wave(db_session=db, name="ext", at=AT)
    with pytest.raises(service.BadResponses) as caught:
        service.import_responses(db_session=db, wave_name="ext", data=(CSV_OK + extra).encode())
    said = str(caught.value)
    assert problem in said and "secret-person" not in said
    assert stored(db) == 0


def test_import_refuses_a_bad_header_and_a_closed_wave(db):
    service.open_wave(db_session=db, name="ext", at=AT)
    with pytest.raises(service.BadResponses, match="missing column.*answer"):
        service.import_responses(db_session=db, wave_name="ext", data=b"respondent,audience\n")
    service.close_wave(db_session=db, name="ext", at=AT)
    with pytest.raises(service.LinkRefused, match="has closed"):
        service.import_responses(db_session=db, wave_name="ext", data=CSV_OK.encode())
    with pytest.raises(service.WaveNotFound):
        service.import_responses(db_session=db, wave_name="nope", data=CSV_OK.encode())


def test_customer_answers_keep_their_account_and_nothing_else(client, db, people, smtp):
    inbox, settings = smtp
    send_wave(db, settings)
    token = links(inbox)[people.customers[0].email]
    assert answer(client, token, {"fast_follow_up": "2"}).status_code == 200
    row = db.scalar(select(SurveyResponse))
    assert (row.audience, row.account, row.answer) == ("customer", str(people.acme.id), 2)
    vm = reporting.report(db_session=db, facts=None, as_of=AT, wave_name="2026-Q4")
    assert vm.respondents == {} and {s.audience for s in vm.suppressed} == {"customer"}


def test_cli_open_import_close_report(tmp_path, monkeypatch):
    from sqlalchemy.orm import Session

    from tandem.cli.main import app as cli
    from tandem.db import make_engine
    from tandem.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(make_engine(url))
    monkeypatch.setenv("TANDEM_DATABASE_URL", url)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    listed = runner.invoke(cli, ["survey", "statements", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    import json

    ids = [s["id"] for s in json.loads(listed.output)]
    assert "leads_accepted" in ids and len(ids) == 21
    assert runner.invoke(cli, ["survey", "open", "Q4"]).exit_code == 0
    lines = ["respondent,audience,statement,answer"]
    lines += [f"m{i},marketing,leads_accepted,4" for i in range(6)]
    lines += [f"s{i},sales,leads_accepted,{1 + i % 2}" for i in range(6)]
    lines += [f"c{i},customer,one_story,3" for i in range(2)]
    good = tmp_path / "answers.csv"
    good.write_text("\n".join(lines) + "\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([*lines[:3], "x9,sales,leads_accepted,9"]) + "\n")
    refused = runner.invoke(cli, ["survey", "import-responses", str(bad), "--wave", "Q4"])
    assert refused.exit_code == 1 and "nothing imported" in refused.output
    assert "row 4: answer" in refused.output and "x9" not in refused.output
    ok = runner.invoke(cli, ["survey", "import-responses", str(good), "--wave", "Q4"])
    assert ok.exit_code == 0 and "14 answers from 14 respondents" in ok.output
    assert runner.invoke(cli, ["survey", "close", "Q4"]).exit_code == 0
    again = runner.invoke(cli, ["survey", "close", "Q4"])
    assert again.exit_code == 1 and "closed already" in again.output
    report = runner.invoke(cli, ["alignment", "report", "--format", "json"])
    assert report.exit_code == 0, report.output
    data = json.loads(report.output)
    gap = data["gaps"][0]
    assert (gap["statement"], gap["audiences"], gap["significant"]) == (
        "leads_accepted", ["marketing", "sales"], True
    )  # fmt: skip
    assert gap["difference"] == pytest.approx(2.5)
    assert data["suppressed"][0]["audience"] == "customer"
    pdf = tmp_path / "r.pdf"
    made = runner.invoke(cli, ["alignment", "report", "--format", "pdf", "--out", str(pdf)])
    assert made.exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")
    with Session(make_engine(url)) as db:
        assert db.scalar(select(func.count()).select_from(SurveyResponse)) == 14


def test_customer_accounts_below_the_minimum_are_left_out(db):
    service.open_wave(db_session=db, name="customers", at=AT, instrument="customer")
    lines = ["respondent,audience,statement,answer,account"]
    lines += [f"a{i},customer,one_story,{4 + i % 2},ACME Corp" for i in range(6)]
    lines += [f"b{i},customer,one_story,2,Bolt Ltd" for i in range(2)]
    service.import_responses(db_session=db, wave_name="customers", data="\n".join(lines).encode())
    vm = reporting.report(db_session=db, facts=None, as_of=AT, wave_name="customers")
    assert [(a.account, a.n) for a in vm.accounts] == [("ACME Corp", 6)]
    assert vm.accounts[0].score == pytest.approx(100 * (4.5 - 1) / 4)
    assert any(s.account == "1 account" for s in vm.suppressed)
    assert "Bolt" not in vm.model_dump_json()
    assert vm.respondents == {"customer": 8}


BAD_CELLS = st.sampled_from(
    [
        ("audience", "board"),
        ("statement", "not_a_statement"),
        ("answer", "0"),
        ("answer", "9"),
        ("answer", "4.5"),
        ("answer", ""),
        ("respondent", ""),
    ]
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    good=st.integers(0, 30),
    bad=st.lists(st.tuples(st.integers(0, 40), BAD_CELLS), min_size=1, max_size=5),
)
def test_any_bad_row_refuses_the_whole_file_and_names_no_respondent(db, good, bad):
    if not db.scalar(select(func.count()).select_from(SurveyWave).where(SurveyWave.name == "prop")):
        service.open_wave(db_session=db, name="prop", at=AT)
    rows = [
        {"respondent": f"secret-{i:03d}", "audience": "sales", "statement": "one_system",
         "answer": str(1 + i % 5)}
        for i in range(good)
    ]  # fmt: skip
    for where, (column, value) in bad:
        row = {"respondent": f"secret-b{where:03d}", "audience": "marketing",
               "statement": "leads_accepted", "answer": "3"}  # fmt: skip
        row[column] = value
        rows.insert(min(where, len(rows)), row)
    text = "respondent,audience,statement,answer\n" + "".join(
        f"{r['respondent']},{r['audience']},{r['statement']},{r['answer']}\n" for r in rows
    )
    with pytest.raises(service.BadResponses) as caught:
        service.import_responses(db_session=db, wave_name="prop", data=text.encode())
    assert "secret-" not in str(caught.value)
    assert all(
        re.match(r"row \d+: \w+: ", p) or p.startswith("(stopped") for p in caught.value.problems
    )
    assert stored(db) == 0


def test_cli_send_and_remind_through_smtp(tmp_path, monkeypatch, smtp):
    from sqlalchemy.orm import Session

    from tandem.auth.roles import Role
    from tandem.cli.main import app as cli
    from tandem.db import make_engine
    from tandem.migrate import upgrade
    from tests import factories as f

    inbox, settings = smtp
    url = f"sqlite:///{tmp_path / 'send.db'}"
    upgrade(make_engine(url))
    for name, value in {
        "TANDEM_DATABASE_URL": url,
        "TANDEM_DATA_DIR": str(tmp_path / "var"),
        "TANDEM_SMTP_HOST": "127.0.0.1",
        "TANDEM_SMTP_PORT": str(settings.smtp_port),
        "TANDEM_PUBLIC_URL": "http://testserver",
    }.items():
        monkeypatch.setenv(name, value)
    with Session(make_engine(url)) as db:
        for _ in range(3):
            f.user(db, role=Role.MARKETER)
        f.user(db, role=Role.SALES_REP)
        db.commit()
    runner = CliRunner()
    assert runner.invoke(cli, ["survey", "open", "Q4"]).exit_code == 0
    sent = runner.invoke(cli, ["survey", "send", "Q4", "--to", "marketing"])
    assert sent.exit_code == 0 and "3 invitations sent" in sent.output
    assert len(inbox.messages) == 3 and len(links(inbox)) == 3
    again = runner.invoke(cli, ["survey", "send", "Q4", "--to", "marketing,sales"])
    assert "1 invitation sent" in again.output  # only the rep was not invited yet
    reminded = runner.invoke(cli, ["survey", "send", "Q4", "--remind"])
    assert reminded.exit_code == 0 and "4 reminders sent" in reminded.output
    assert sum(m["Subject"].startswith("Reminder") for m in inbox.messages) == 4
    bad = runner.invoke(cli, ["survey", "send", "Q4", "--to", "board"])
    assert bad.exit_code == 1 and "unknown audience 'board'" in bad.output
