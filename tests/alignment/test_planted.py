"""Generated waves with planted gaps: the report finds the planted gap, reports none where
there is none, does not call a split team's difference a finding, suppresses a group below
the minimum, and its statistics equal an independent scipy computation."""

import csv
import io
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from tandem.alignment import reporting, service, synthetic
from tandem.alignment.analysis import Answers, analyse
from tandem.alignment.definitions import SHIPPED, parse_text

AT = datetime(2026, 11, 20, 12, tzinfo=UTC)
INST, _ = parse_text(SHIPPED["default"].read_text(), "default")
PLANTED = {
    ("leads_accepted", "marketing"): 4,  # marketing thinks sales accepts its leads...
    ("leads_accepted", "sales"): 2,  # ...sales says it does not: two points apart
    ("one_system", "sales"): 1,  # sales agrees it is not one system; marketing is split
}
SPLIT = {"one_system": "marketing"}
SIZES = {"marketing": 30, "sales": 40, "customer": 3}


def planted_rows(seed=11):
    return synthetic.generate(INST, SIZES, seed=seed, centres=PLANTED, split=SPLIT)


def check_planted(gaps, suppressed, statements):
    findings = [(g.statement, tuple(g.audiences)) for g in gaps if g.finding]
    assert findings == [("leads_accepted", ("marketing", "sales"))]
    planted = gaps[0]
    assert planted.statement == "leads_accepted" and 1.6 < planted.difference < 2.4
    assert planted.ci[0] < 2 < planted.ci[1] and planted.significant
    split = next(g for g in gaps if g.statement == "one_system")
    assert split.significant and not split.finding and split.split == ["marketing"]
    others = [g for g in gaps if g.statement not in ("leads_accepted", "one_system")]
    assert len(others) >= 15 and not any(g.significant for g in others)
    # Three customers: below the minimum of 5, so in no figure anywhere.
    assert {"audience": "customer", "statement": None} in [
        {"audience": s.audience, "statement": s.statement} for s in suppressed
    ]
    assert not any("customer" in g.audiences for g in gaps)
    assert not any("customer" in s.groups for s in statements)


def test_the_planted_gap_is_found_and_nothing_else():
    result = analyse(INST, Answers.of(INST, planted_rows()), {}, min_group=5)
    check_planted(result.gaps, result.suppressed, result.statements)
    assert result.respondents == {"marketing": 30, "sales": 40}
    handoff = next(g for g in result.dimension_gaps if g.dimension == "handoff")
    assert handoff.finding and handoff.difference > 0.4


def test_the_statistics_equal_an_independent_scipy_computation():
    rows = planted_rows()
    result = analyse(INST, Answers.of(INST, rows), {}, min_group=5)
    cells: dict[tuple[str, str], list[float]] = {}
    for _, audience, statement, answer in rows:
        cells.setdefault((statement, audience), []).append(answer)
    p_values, seen = [], []
    for g in result.gaps:
        x = np.array(cells[(g.statement, g.audiences[0])])
        y = np.array(cells[(g.statement, g.audiences[1])])
        mw = sps.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
        ci = sps.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
        assert g.u == pytest.approx(mw.statistic) and g.p == pytest.approx(mw.pvalue, rel=1e-9)
        assert g.ci == [pytest.approx(ci.low, rel=1e-9), pytest.approx(ci.high, rel=1e-9)]
        assert g.means == [pytest.approx(x.mean()), pytest.approx(y.mean())]
        p_values.append(mw.pvalue)
        seen.append(g.q)
    assert seen == pytest.approx(list(sps.false_discovery_control(p_values)), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.fixed_dictionaries(
        {a: st.integers(0, 12) for a in ("marketing", "sales", "customer")}
    ),
    minimum=st.integers(2, 8),
    seed=st.integers(0, 1000),
)
def test_no_group_below_the_minimum_is_ever_shown(sizes, minimum, seed):
    rows = synthetic.generate(INST, sizes, seed=seed)
    result = analyse(INST, Answers.of(INST, rows), {}, min_group=minimum)
    assert all(n >= minimum for n in result.respondents.values())
    for s in result.statements:
        assert all(g.n >= minimum for g in s.groups.values())
    for g in [*result.gaps, *result.dimension_gaps]:
        assert min(g.n) >= minimum
    for audience, count in sizes.items():
        if 0 < count < minimum:
            assert audience not in result.respondents
            assert any(s.audience == audience and s.statement is None for s in result.suppressed)
    # The survey index always decomposes into its dimensions' points.
    parts = [c.contribution for c in result.survey_index.components if c.contribution]
    if result.survey_index.score is not None:
        assert sum(parts) == pytest.approx(result.survey_index.score)


def as_csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["respondent", "audience", "statement", "answer"])
    for person, audience, statement, answer in rows:
        writer.writerow([f"resp-{person}", audience, statement, int(answer)])
    return out.getvalue().encode()


def test_an_imported_wave_reports_the_planted_gap(db):
    service.open_wave(db_session=db, name="2026-Q4", at=AT)
    done = service.import_responses(db_session=db, wave_name="2026-Q4", data=as_csv(planted_rows()))
    assert done["respondents"] == 73
    service.close_wave(db_session=db, name="2026-Q4", at=AT)
    vm = reporting.report(db_session=db, facts=None, as_of=AT)
    check_planted(vm.gaps, vm.suppressed, vm.statements)
    data = vm.model_dump(mode="json")
    assert data["gaps"][0]["statement"] == "leads_accepted"
    assert data["gaps"][0]["audiences"] == ["marketing", "sales"]
    assert data["gaps"][0]["significant"] is True
    assert {"audience": "customer", "statement": None, "account": None} | {
        "reason": "fewer than 5 respondents"
    } in data["suppressed"]


def test_the_database_sums_up_the_answers_as_the_rows_do(db):
    """The report's SQL path (counts per point, totals per respondent and dimension, reversed
    statements turned) gives the same groups as the rows themselves."""
    rows = planted_rows(seed=4)
    wave = service.open_wave(db_session=db, name="same", at=AT)
    service.import_responses(db_session=db, wave_name="same", data=as_csv(rows))
    from_db = reporting.answers(db_session=db, wave=wave, inst=INST)
    from_rows = Answers.of(INST, rows)
    assert dict(from_db.respondents) == dict(from_rows.respondents)
    assert from_db.cells.keys() == from_rows.cells.keys()
    for key, values in from_rows.cells.items():
        assert sorted(from_db.cells[key]) == sorted(values), key
    assert from_db.dimensions.keys() == from_rows.dimensions.keys()
    for key, values in from_rows.dimensions.items():
        assert sorted(from_db.dimensions[key]) == pytest.approx(sorted(values)), key
