"""Bad routing and SLA files: overlapping territories, rules and tiers that match nothing,
unknown reps, segments that are no band, impossible calendars; each reported at file:line."""

from tandem.handoff.loader import check_handoff, parse_routing, parse_sla

from .conftest import ROUTING, SLA


def lines(issues):
    return [str(i).split(":", 1)[1] for i in issues]


def test_overlapping_territories_are_errors_but_exceptions_first_are_fine():
    text = ROUTING.replace(
        "  - {id: us, match: {country: US}, team: us}\n",
        "  - {id: ca-ent, match: {country: CA, employee_band: enterprise}, team: us}\n"
        "  - {id: north, match: {country: [US, CA]}, team: us}\n"
        "  - {id: us-ca, match: {country: [ca, MX]}, team: us}\n"
        "  - {id: us-only, match: {country: US}, team: us}\n",
    )
    _, issues = parse_routing(text, "routing.yaml")
    assert lines(issues) == [
        (
            "14: error: rules[2].match: territory of rule 'us-ca' overlaps rule 'north': "
            "both claim country ca"
        ),
        (
            "15: error: rules[3]: rule 'us-only' can never match: every lead it covers goes "
            "to rule 'north' first"
        ),
    ]


def test_a_tier_that_matches_nothing_is_an_error():
    text = SLA.replace(
        "      - {name: standard,",
        "      - {name: A-smb, match: {grade: a, segment: smb}, accept_within_hours: 1,"
        " first_touch_within_hours: 2}\n      - {name: standard,",
    )
    _, issues = parse_sla(text, "sla.yaml")
    assert lines(issues) == [
        (
            "12: error: policies[0].tiers[1]: tier 'A-smb' matches nothing: every lead it "
            "covers falls in tier 'A' first"
        )
    ]


def test_segments_must_be_bands_and_reps_must_be_users(tmp_path):
    routing, sla = tmp_path / "routing.yaml", tmp_path / "sla.yaml"
    routing.write_text(ROUTING)
    sla.write_text(
        SLA.replace(
            "{name: A, match: {grade: A}", "{name: A, match: {segment: [smb, smol]}"
        ).replace("segment: enterprise, target: 2", "segment: enterprize, target: 2")
    )
    found = check_handoff(routing, sla, known_users={"ann@example.com", "BOB@example.com"})
    assert not found.ok
    assert [str(i) for i in found.issues] == [
        f"{routing}:7: error: teams.us.manager_id: manager 'boss@example.com' is not a Tandem "
        "user (name users by email or id)",
        f"{sla}:11: error: policies[0].tiers[0].match.segment: tier 'A' matches nothing: "
        "segment 'smol' is no employee band (smb, enterprise)",
        f"{sla}:22: error: mql_commitments[1].segment: segment 'enterprize' is no employee "
        "band (smb, enterprise, or all)",
    ]


def test_impossible_calendars_and_unknown_teams():
    text = SLA.replace(
        'hours: {mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"],\n'
        '            thu: ["09:00-17:00"], fri: ["09:00-17:00"]}',
        "hours: {sat: []}",
    )
    _, issues = parse_sla(text, "sla.yaml")
    assert lines(issues) == ["4: error: calendars.office.hours: no working hours on any day"]
