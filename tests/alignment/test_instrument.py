"""Instruments as code: the shipped ones are valid; bad ones are refused at file:line."""

import pytest
from typer.testing import CliRunner

from tandem.alignment.definitions import SHIPPED, parse_text
from tandem.alignment.instrument import band
from tandem.cli.main import app as cli
from tandem.definitions.base import has_errors
from tests.test_yaml_fuzz import ATTACKS

GOOD = """\
title: Small survey
dimensions:
  - id: handoff
    title: Handoff
    weight: 0.6
    statements:
      - id: accepted
        text: Sales accepts most leads.
        audiences: [marketing, sales]
        metric: acceptance_rate
  - id: talk
    title: Communication
    weight: 0.4
    statements:
      - id: one_story
        text: We tell one story.
        audiences: [marketing, sales, customer]
data_index:
  - {metric: acceptance_rate, weight: 0.5}
  - {metric: speed_to_lead_hours, weight: 0.5, best: 1, worst: 48}
"""


def issues_of(text):
    _, issues = parse_text(text, "survey.yaml")
    return [str(i) for i in issues]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_shipped_instruments_are_valid(name):
    inst, issues = parse_text(SHIPPED[name].read_text(), name)
    assert inst is not None and not has_errors(issues), issues
    assert len({s.id for _, s in inst.statements()}) == len(list(inst.statements()))


def test_the_default_instrument_covers_the_eight_dimensions_and_ties_metrics():
    inst, _ = parse_text(SHIPPED["default"].read_text(), "default")
    assert [d.id for d in inst.dimensions] == [
        "definitions", "handoff", "follow_up", "measurement",
        "planning", "content", "communication", "systems",
    ]  # fmt: skip
    tied = {s.id: s.metric for _, s in inst.statements() if s.metric}
    assert tied["fast_follow_up"] == "speed_to_lead_hours"
    assert tied["leads_accepted"] == "acceptance_rate"
    assert inst.audiences() == ("marketing", "sales", "customer")


def test_a_good_instrument_has_no_issue():
    assert issues_of(GOOD) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "audiences: [marketing, sales]\n",
            "audiences: []\n",
            "survey.yaml:9: error: dimensions[0].statements[0].audiences: "
            "statement 'accepted' is for no audience",
        ),
        (
            "weight: 0.4",
            "weight: 0.3",
            "survey.yaml:2: error: dimensions: the dimensions' weights sum to 0.9, not 1",
        ),
        (
            "metric: acceptance_rate\n",
            "metric: happiness_rate\n",
            "survey.yaml:10: error: dimensions[0].statements[0].metric: statement 'accepted' "
            "is tied to unknown metric 'happiness_rate' (see `tandem metrics list`)",
        ),
        (
            "  - {metric: acceptance_rate, weight: 0.5}",
            "  - {metric: acceptance_rate, weight: 0.25}",
            "survey.yaml:18: error: data_index: the data index weights sum to 0.75, not 1",
        ),
        (
            "audiences: [marketing, sales, customer]",
            "audiences: [marketing, board]",
            "survey.yaml:17: error: dimensions[1].statements[0].audiences[1]: Input should be "
            "'marketing', 'sales' or 'customer'",
        ),
        (
            "      - id: one_story",
            "      - id: accepted",
            "survey.yaml:15: error: dimensions[1].statements[0].id: statement id 'accepted' "
            "is used twice",
        ),
        (
            "best: 1, worst: 48",
            "best: 1",
            "survey.yaml:20: error: data_index[1]: speed_to_lead_hours is in hours: give the "
            "`best` and `worst` values (different)",
        ),
    ],
)
def test_bad_instruments_are_refused_at_file_line(old, new, expected):
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    found = issues_of(text)
    assert expected in found, found


def test_an_unknown_field_and_bad_yaml_are_located():
    assert issues_of(GOOD.replace("title: Small survey", "titel: Small survey"))[:2] == [
        "survey.yaml:1: error: title: required field is missing",
        "survey.yaml:1: error: titel: unknown field (check the spelling; see docs/alignment.md)",
    ]
    assert issues_of("title: [unclosed\n") == [
        "survey.yaml:2: error: invalid YAML: expected ',' or ']', but got '<stream end>'"
    ]


def test_bands():
    assert [band(s) for s in (None, 0, 24.9, 25, 49.9, 50, 75, 100)] == [
        None, "undefined", "undefined", "defined", "defined", "aligned", "integrated",
        "integrated",
    ]  # fmt: skip


def test_cli_validate_prints_file_line_and_fails(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("weight: 0.4", "weight: 0.3"))
    result = CliRunner().invoke(cli, ["survey", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2: error: dimensions: the dimensions' weights sum to 0.9, not 1" in result.output
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    ok = CliRunner().invoke(cli, ["survey", "validate", str(good)])
    assert ok.exit_code == 0 and "2 dimensions, 2 statements" in ok.output


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_the_survey_loader_refuses_each_yaml_attack(name):
    text, words = ATTACKS[name]
    inst, issues = parse_text(text, "attack.yaml")
    assert inst is None and words in " ".join(i.message for i in issues)
