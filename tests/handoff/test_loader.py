"""Loading YAML: every issue names file:line and the field; examples load cleanly."""

from pathlib import Path

import pytest

from tandem.definitions.base import ConfigError, Level
from tandem.handoff.loader import (
    check_routing,
    load_routing,
    load_sla,
    parse_routing,
    parse_sla,
)
from tandem.handoff.source import parse_yaml
from tandem.handoff.validation import validate_handoff

EXAMPLES = Path(__file__).parents[2] / "examples" / "handoff"


def lines(issues):
    """Each issue as printed, minus the file name: "12: error: field: message"."""
    return [str(i).split(":", 1)[1] for i in issues]


def test_examples_load_without_any_issue():
    rules = load_routing(EXAMPLES / "routing.yaml")
    config = load_sla(EXAMPLES / "sla.yaml")
    assert check_routing(EXAMPLES / "routing.yaml")[1] == []
    assert validate_handoff(rules, config) == []
    assert set(rules.teams) == {"us-enterprise", "us-commercial", "emea-dach", "emea-rest"}
    assert [p.name for p in config.policies] == ["us-inbound", "emea-inbound"]
    assert config.policy_for_team("emea-dach").calendar == "emea-sales"
    assert config.reject_reasons[-1].code == "existing_customer"


SLA_BAD_SCHEMA = """\
calendars:
  us:
    timezone: America/New_Yrok
    hours:
      funday: ["09:00-10:00"]
      mon: [930]
policies:
  - name: p
    calendar: us
    tiers:
      - name: A
        accept_within_hours: 1
        first_touch_within_hours: 4
        colour: red
      - name: B
    escalation:
      - {after: breached+4x, action: remind_rep}
reject_reasons: [bad_fit, no_budgett]
"""


def test_schema_errors_name_file_line_and_field():
    model, issues = parse_sla(SLA_BAD_SCHEMA, "sla.yaml")
    assert model is None
    assert lines(issues) == [
        (
            "3: error: calendars.us.timezone: unknown IANA time zone 'America/New_Yrok' "
            "(e.g. 'Europe/Berlin')"
        ),
        (
            "5: error: calendars.us.hours.funday: Input should be 'mon', 'tue', 'wed', "
            "'thu', 'fri', 'sat' or 'sun'"
        ),
        (
            "6: error: calendars.us.hours.mon[0]: write working hours as a quoted string, "
            "e.g. '09:00-17:30'"
        ),
        (
            "14: error: policies[0].tiers[0].colour: unknown field (check the spelling; see "
            "docs/handoff.md)"
        ),
        "15: error: policies[0].tiers[1].accept_within_hours: required field is missing",
        "15: error: policies[0].tiers[1].first_touch_within_hours: required field is missing",
        (
            "17: error: policies[0].escalation[0].after: expected at_risk, breached or e.g. "
            "breached+4h / at_risk+30m, got 'breached+4x'"
        ),
        (
            "18: error: reject_reasons[1]: unknown reject code 'no_budgett'; built-in codes "
            "are bad_fit, no_budget, no_authority, no_need, bad_timing, wrong_contact, "
            "duplicate, competitor_student, unreachable (to add your own, give code and "
            "label)"
        ),
    ]
    assert str(issues[0]).startswith("sla.yaml:3: error: calendars.us.timezone:")


SLA_BAD_MEANING = """\
calendars:
  us:
    timezone: America/New_York
    hours:
      mon: ["09:00-13:00", "12:00-17:00"]
    holidays: [2026-07-03, 2026-07-03]
  closed:
    timezone: UTC
    hours: {}
policies:
  - name: p
    calendar: emea
    tiers:
      - name: A
        match: {grade: A}
        accept_within_hours: 4
        first_touch_within_hours: 1
      - name: rest
        accept_within_hours: 8
        first_touch_within_hours: 8
      - name: never
        match: {grade: C}
        accept_within_hours: 8
        first_touch_within_hours: 8
    escalation:
      - {after: breached, action: alert_manager}
      - {after: breached, action: alert_manager}
mql_commitments:
  - {month: 2026-07, segment: smb, target: 10}
  - {month: 2026-07, segment: SMB, target: 20}
"""


def test_semantic_errors_name_file_line_and_field():
    model, issues = parse_sla(SLA_BAD_MEANING, "sla.yaml")
    assert model is not None
    assert lines(issues) == [
        "5: error: calendars.us.hours.mon[1]: 12:00-17:00 overlaps 09:00-13:00",
        "6: warning: calendars.us.holidays[1]: holiday 2026-07-03 is listed twice",
        "9: error: calendars.closed.hours: no working hours on any day",
        "12: error: policies[0].calendar: unknown calendar 'emea' (calendars: us, closed)",
        (
            "17: error: policies[0].tiers[0].first_touch_within_hours: tier 'A': first touch "
            "(1h) is due before accept (4h)"
        ),
        (
            "21: error: policies[0].tiers[2]: tier 'never' matches nothing: every lead it "
            "covers falls in tier 'rest' first"
        ),
        "26: error: policies[0].escalation[0]: step breached -> alert_manager is listed twice",
        "27: error: policies[0].escalation[1]: step breached -> alert_manager is listed twice",
        (
            "29: error: mql_commitments[0]: commitment (month, segment) ('2026-07', 'smb') "
            "is listed 2 times"
        ),
        (
            "30: error: mql_commitments[1]: commitment (month, segment) ('2026-07', 'smb') "
            "is listed 2 times"
        ),
    ]


ROUTING_BAD = """\
employee_bands:
  - {name: smb, min: 1, max: 199}
teams:
  nordics:
    reps:
      - {user_id: 7, capacity: 10}
      - {user_id: 7, capacity: 10}
  empty: {reps: []}
rules:
  - id: r1
    match: {country: NO, employee_band: huge}
    team: ghost
  - id: r1
    reps: [7, zed]
  - id: both
    team: nordics
    reps: [7]
fallback: {queue: q}
"""


def test_routing_issues_name_file_line_and_field():
    model, issues = parse_routing(ROUTING_BAD, "routing.yaml")
    assert model is None
    assert lines(issues) == [
        "15: error: rules[2]: a rule routes to exactly one of `team` or `reps`"
    ]
    model, issues = parse_routing(ROUTING_BAD.replace("    reps: [7]\n", ""), "routing.yaml")
    assert model.rules[0].match.country == ("NO",)  # Norway, not False
    assert model.teams["nordics"].reps[0].user_id == "7"
    assert lines(issues) == [
        "7: error: teams.nordics.reps[1]: rep '7' is listed twice",
        (
            "8: warning: teams.empty: team 'empty' has no rep with capacity; its leads go to "
            "the fallback queue"
        ),
        "10: error: rules[0].id: rule id 'r1' is used 2 times",
        "11: error: rules[0].match.employee_band: unknown employee band 'huge' (defined: smb)",
        (
            "12: error: rules[0].team: rule 'r1' routes to unknown team 'ghost' (teams: "
            "nordics, empty)"
        ),
        "13: error: rules[1].id: rule id 'r1' is used 2 times",
        "14: error: rules[1].reps: rule 'r1' names rep 'zed', who is in no team",
        (
            "15: error: rules[2]: rule 'both' can never match: every lead it covers goes to "
            "rule 'r1' first"
        ),
    ]


def test_load_raises_config_error_with_every_error(tmp_path):
    path = tmp_path / "routing.yaml"
    path.write_text(ROUTING_BAD.replace("    reps: [7]\n", ""))
    with pytest.raises(ConfigError) as info:
        load_routing(path)
    assert len(info.value.issues) == 7
    assert all(i.level is Level.ERROR and i.file == str(path) for i in info.value.issues)
    assert f"{path}:12: error: rules[0].team" in str(info.value)


def test_unreadable_and_broken_files(tmp_path):
    _, issues = check_routing(tmp_path / "missing.yaml")
    assert "cannot read file" in issues[0].message
    _, issues = parse_routing("teams: {a: [1,\n", "r.yaml")
    assert (issues[0].line, issues[0].message.startswith("invalid YAML")) == (2, True)
    _, issues = parse_routing("# nothing\n", "r.yaml")
    assert issues[0].message == "the file is empty"
    _, issues = parse_routing("a: &x 1\nb:\n  <<: *x\n", "r.yaml")
    assert issues[0].line == 1  # the anchored scalar that cannot be merged
    assert "expected a mapping or list of mappings for merging" in issues[0].message


def test_impossible_dates_are_reported_at_their_field():
    text = (EXAMPLES / "sla.yaml").read_text().replace("- 2026-10-03", "- 2026-02-30")
    _, issues = parse_sla(text, "sla.yaml")
    assert len(issues) == 1
    assert issues[0].loc == ("calendars", "emea-sales", "holidays", 6, "date")
    assert issues[0].line == text.splitlines().index("      - 2026-02-30") + 1


def test_yaml_with_lines_keeps_strings_that_yaml11_would_mangle():
    source, issues = parse_yaml("a: NO\nb: 12:30\nc: yes\nd: true\na: 1\n", "x.yaml")
    assert source.data == {"a": 1, "b": "12:30", "c": "yes", "d": True}
    assert [(i.line, i.message) for i in issues] == [
        (5, "duplicate key 'a' (the later value would win)")
    ]
    assert source.line_for(("b",)) == 2
    assert source.line_for(("b", "deeper", 3)) == 2


def test_anchors_and_merge_keys_work():
    text = """\
calendars:
  a: &base {timezone: Europe/Berlin, hours: {mon: ["09:00-17:00"]}}
  b:
    <<: *base
    holidays: [2026-12-25]
policies:
  - name: p
    calendar: b
    tiers: [{name: all, accept_within_hours: 1, first_touch_within_hours: 2}]
"""
    model, issues = parse_sla(text, "s.yaml")
    assert issues == []
    assert model.calendars["b"].timezone == "Europe/Berlin"
    assert [h.date.isoformat() for h in model.calendars["b"].holidays] == ["2026-12-25"]
    assert model.calendars["a"].holidays == ()


def test_cross_file_check_finds_unknown_teams():
    rules = load_routing(EXAMPLES / "routing.yaml")
    config, _ = parse_sla(
        (EXAMPLES / "sla.yaml")
        .read_text()
        .replace("teams: [emea-dach, emea-rest]", "teams: [emea-dach, emea-south]")
    )
    messages = [i.message for i in validate_handoff(rules, config)]
    assert messages == [
        "policy 'emea-inbound' names team 'emea-south', which routing does not define",
        "routing team 'emea-rest' has no SLA policy and there is no default policy",
    ]
