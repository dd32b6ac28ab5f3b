"""The report where people look: say versus do from the registry, the indexes and their
trend, the page, the JSON, the PDF, the weekly review's section, and the instrument's joint
approval."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tandem.alignment import reporting, service, synthetic
from tandem.alignment.definitions import SHIPPED, SURVEY
from tandem.analytics.snapshot import load_facts
from tandem.auth.roles import Role
from tandem.definitions import service as definitions
from tandem.metrics import service as metrics
from tandem.metrics.engine import engine_for
from tandem.metrics.spec import Window
from tandem.reports import service as weekly
from tests import factories as f
from tests.alignment.test_planted import INST, PLANTED, SPLIT, as_csv
from tests.analytics.conftest import AS_OF, seed_world
from tests.web.test_pages import login

CLOSED = datetime(2026, 11, 19, 15, tzinfo=UTC)  # in 2026-W47


def wave(db, name, *, seed, centres=PLANTED, opened=CLOSED - timedelta(days=7), closed=CLOSED):
    service.open_wave(
        db_session=db,
        name=name,
        at=opened,
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
    )
    rows = synthetic.generate(
        INST, {"marketing": 20, "sales": 25, "customer": 3}, seed=seed, centres=centres, split=SPLIT
    )
    service.import_responses(db_session=db, wave_name=name, data=as_csv(rows))
    service.close_wave(db_session=db, name=name, at=closed)


def test_say_versus_do_reads_the_registry_over_the_waves_period(db):
    seed_world(db)
    wave(db, "2026-Q4", seed=3)
    facts = load_facts(db_session=db, loaded_at=AS_OF)
    vm = reporting.report(db_session=db, facts=facts, as_of=AS_OF)
    said = {s.statement: s for s in vm.say_vs_do}
    at = Window(date(2026, 11, 1), date(2026, 12, 1), AS_OF)
    expected = metrics.figure(engine_for(facts), "acceptance_rate", at).value
    assert said["leads_accepted"].value == expected == pytest.approx(0.75)  # 3 of 4 answers
    assert said["leads_accepted"].shown == "75.0%"
    assert said["leads_accepted"].answers["marketing"] > said["leads_accepted"].answers["sales"]
    assert "customer" not in said["fast_follow_up"].answers  # three customers: suppressed
    parts = {c.key: c for c in vm.data_index.components}
    assert parts["data:acceptance_rate"].score == pytest.approx(75.0)
    assert parts["data:acceptance_rate"].weight == 0.2
    # The two figures this capability adds to the registry, read the same way.
    for statement, name in (
        ("rejections_explained", "rejections_with_reason"),
        ("data_trusted", "data_completeness"),
    ):
        figure = metrics.figure(engine_for(facts), name, at)
        assert said[statement].metric == name and said[statement].value == figure.value
        assert parts[f"data:{name}"].value == figure.value
    assert said["rejections_explained"].value == 0.0  # the one rejection gave no reason
    assert said["rejections_explained"].rows == 1
    # The alignment index is the survey and data indexes by the instrument's weights.
    assert vm.alignment_index.score == pytest.approx(
        0.5 * vm.survey_index.score + 0.5 * vm.data_index.score
    )
    assert sum(c.contribution or 0 for c in vm.alignment_index.components) == pytest.approx(
        vm.alignment_index.score
    )


def test_the_trend_and_the_change_explained_by_component(db):
    wave(db, "2026-Q3", seed=1, opened=CLOSED - timedelta(days=100), closed=CLOSED - timedelta(90))
    better = {**PLANTED, ("leads_accepted", "sales"): 4}  # sales came round
    wave(db, "2026-Q4", seed=2, centres=better)
    vm = reporting.report(db_session=db, facts=None, as_of=AS_OF, wave_name="2026-Q4")
    assert [t.wave for t in vm.trend] == ["2026-Q3", "2026-Q4"]
    delta = vm.trend[1].alignment - vm.trend[0].alignment
    assert sum(c.delta for c in vm.changes) == pytest.approx(delta)
    assert vm.changes[0].key == "survey:handoff" and vm.changes[0].delta > 0
    assert not any(g.finding for g in vm.gaps if g.statement == "leads_accepted")


def test_page_json_pdf_and_weekly_section(client, db):
    seed_world(db)
    wave(db, "2026-Q4", seed=3)
    rep = f.user(db, role=Role.SALES_REP)
    assert login(client, rep.email).status_code == 303
    page = client.get("/alignment")
    assert page.status_code == 200
    assert "2026-Q4" in page.text and "Largest perception gaps" in page.text
    assert 'href="/alignment"' in page.text  # the top-bar link from the manifest
    wave_id = reporting.latest(db_session=db).id
    detail = client.get(f"/alignment/waves/{wave_id}")
    assert detail.status_code == 200 and "leads_accepted" in detail.text
    assert "Left out for size: Customers (fewer than 5 respondents)" in detail.text
    assert '<a href="/metrics/acceptance_rate">Acceptance rate</a>' in detail.text
    data = client.get(f"/api/v1/alignment/waves/{wave_id}").json()
    assert data["gaps"][0]["statement"] == "leads_accepted" and data["gaps"][0]["significant"]
    assert all("customer" not in s["groups"] for s in data["statements"])
    pdf = client.get(f"/alignment/waves/{wave_id}/pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get("/alignment/waves/999999").status_code == 404
    facts = load_facts(db_session=db, loaded_at=AS_OF)
    review = weekly.build_weekly(db_session=db, facts=facts, as_of=AS_OF, week="2026-W47")
    titles = [p.title for p in review.more]
    assert "Alignment survey 2026-Q4 closed: the index" in titles
    assert "Alignment survey 2026-Q4: largest gaps" in titles
    earlier = weekly.build_weekly(db_session=db, facts=facts, as_of=AS_OF, week="2026-W46")
    assert not [p for p in earlier.more if p.title.startswith("Alignment")]


def test_the_instrument_is_proposed_by_one_team_and_approved_by_the_other(db):
    service.open_wave(db_session=db, name="before", at=CLOSED)  # puts the shipped one in force
    marketer = f.user(db, role=Role.MARKETER)
    other_marketer = f.user(db, role=Role.MARKETER)
    manager = f.user(db, role=Role.SALES_MANAGER)
    text = (
        SHIPPED["default"]
        .read_text()
        .replace("title: Tandem alignment survey", "title: Tandem alignment survey, Q4 edition")
    )
    row = definitions.propose(
        db_session=db, kind=SURVEY, text=text, user=marketer, at=CLOSED, source="web"
    )
    with pytest.raises(definitions.NotAllowed, match="a sales_manager approves it"):
        definitions.approve(
            db_session=db, version_id=row.id, user=other_marketer, at=CLOSED, kind=SURVEY
        )
    definitions.approve(db_session=db, version_id=row.id, user=manager, at=CLOSED, kind=SURVEY)
    after = service.open_wave(db_session=db, name="after", at=CLOSED)
    assert service.instrument_of(db_session=db, wave=after)[1].title.endswith("Q4 edition")
    before = service.get_wave(db_session=db, name="before")
    assert service.instrument_of(db_session=db, wave=before)[0].version == 1
    bad = text.replace("metric: acceptance_rate", "metric: vibes")
    with pytest.raises(definitions.InvalidDefinition, match="unknown metric 'vibes'"):
        definitions.propose(
            db_session=db, kind=SURVEY, text=bad, user=marketer, at=CLOSED, source="web"
        )
