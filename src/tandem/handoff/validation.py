"""Semantic checks on loaded configuration, one small rule per concern (dbt-semantic-interfaces
style). Each rule takes the parsed model and returns issues located by field path; the loader
adds file and line. They run on in-memory models too (a config edited in the web app).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Hashable, Sequence
from typing import TypeVar

from tandem.definitions.base import Issue, error, warning
from tandem.handoff.calendar import WEEKDAYS
from tandem.handoff.match_sets import conditions, covers, describe, shared
from tandem.handoff.routing_rules import MATCH_FIELDS, RoutingRules
from tandem.handoff.sla_rules import SlaConfig

T = TypeVar("T")
TIER_FIELDS = ("grade", "segment", "region")

# --- routing -------------------------------------------------------------------------------


def rules_reference_known_teams(rules: RoutingRules) -> list[Issue]:
    """A rule must route to a team that is defined."""
    known = ", ".join(rules.teams) or "none"
    return [
        error(
            ("rules", i, "team"),
            f"rule {r.id!r} routes to unknown team {r.team!r} (teams: {known})",
        )
        for i, r in enumerate(rules.rules)
        if r.team is not None and r.team not in rules.teams
    ]


def rules_reference_known_reps(rules: RoutingRules) -> list[Issue]:
    """Reps named directly on a rule must belong to a team (that is where capacity is set)."""
    return [
        error(("rules", i, "reps"), f"rule {r.id!r} names rep {uid!r}, who is in no team")
        for i, r in enumerate(rules.rules)
        for uid in r.reps
        if rules.rep(uid) is None
    ]


def rule_ids_unique(rules: RoutingRules) -> list[Issue]:
    """Rule ids name decisions in the log, so they must be unique."""
    counts = Counter(r.id for r in rules.rules)
    return [
        error(("rules", i, "id"), f"rule id {r.id!r} is used {counts[r.id]} times")
        for i, r in enumerate(rules.rules)
        if counts[r.id] > 1
    ]


def reps_unique_in_team(rules: RoutingRules) -> list[Issue]:
    """A rep listed twice in one team would get double turns."""
    issues = []
    for name, team in rules.teams.items():
        seen: set[str] = set()
        for j, rep in enumerate(team.reps):
            if rep.user_id in seen:
                issues.append(
                    error(("teams", name, "reps", j), f"rep {rep.user_id!r} is listed twice")
                )
            seen.add(rep.user_id)
    return issues


def teams_have_capacity(rules: RoutingRules) -> list[Issue]:
    """A team whose reps all have capacity 0 (or no reps) can never take a lead."""
    return [
        warning(
            ("teams", name),
            f"team {name!r} has no rep with capacity; its leads go to the fallback queue",
        )
        for name, team in rules.teams.items()
        if not any(r.capacity > 0 for r in team.reps)
    ]


def rules_reachable(rules: RoutingRules) -> list[Issue]:
    """A rule whose every lead is taken by an earlier rule can never match."""
    conds = [conditions(r.match, MATCH_FIELDS) for r in rules.rules]
    issues = []
    for j, later in enumerate(rules.rules):
        earlier = next((i for i in range(j) if covers(conds[i], conds[j])), None)
        if earlier is not None:
            issues.append(
                error(
                    ("rules", j),
                    f"rule {later.id!r} can never match: every lead it covers goes to rule "
                    f"{rules.rules[earlier].id!r} first",
                )
            )
    return issues


def territories_do_not_overlap(rules: RoutingRules) -> list[Issue]:
    """Two rules on the same fields must not both claim a lead unless one is an exception
    inside the other (the narrower listed first). Rules on different fields layer on purpose
    (a target-account rule above a country rule), so only same-field overlaps are reported.
    """
    conds = [conditions(r.match, MATCH_FIELDS) for r in rules.rules]
    issues = []
    for j in range(len(rules.rules)):
        for i in range(j):
            a, b = conds[i], conds[j]
            if not a or a.keys() != b.keys() or covers(a, b) or covers(b, a):
                continue
            both = shared(a, b)
            if both is not None:
                issues.append(
                    error(
                        ("rules", j, "match"),
                        f"territory of rule {rules.rules[j].id!r} overlaps rule "
                        f"{rules.rules[i].id!r}: both claim {describe(both)}",
                    )
                )
    return issues


def reps_are_users(rules: RoutingRules, known_users: Collection[str]) -> list[Issue]:
    """Every rep and manager must be a Tandem user, named by email or numeric user id."""
    known = {k.casefold() for k in known_users}
    issues = [
        error(
            ("teams", name, "reps", j, "user_id"),
            f"rep {rep.user_id!r} is not a Tandem user (name users by email or id)",
        )
        for name, team in rules.teams.items()
        for j, rep in enumerate(team.reps)
        if rep.user_id.casefold() not in known
    ]
    issues += [
        error(
            ("teams", name, "manager_id"),
            f"manager {team.manager_id!r} is not a Tandem user (name users by email or id)",
        )
        for name, team in rules.teams.items()
        if team.manager_id is not None and team.manager_id.casefold() not in known
    ]
    return issues


def bands_known(rules: RoutingRules) -> list[Issue]:
    """When bands are defined, rules must use their names."""
    names = {b.name for b in rules.employee_bands}
    if not names:
        return []
    return [
        error(
            ("rules", i, "match", "employee_band"),
            f"unknown employee band {band!r} (defined: {', '.join(sorted(names))})",
        )
        for i, r in enumerate(rules.rules)
        for band in r.match.employee_band
        if band not in names
    ]


ROUTING_RULES: tuple[Callable[[RoutingRules], list[Issue]], ...] = (
    rules_reference_known_teams,
    rules_reference_known_reps,
    rule_ids_unique,
    reps_unique_in_team,
    teams_have_capacity,
    rules_reachable,
    territories_do_not_overlap,
    bands_known,
)


def validate_routing(rules: RoutingRules) -> list[Issue]:
    """Every semantic issue in a routing configuration."""
    return [issue for check in ROUTING_RULES for issue in check(rules)]


# --- SLA -----------------------------------------------------------------------------------


def policies_reference_known_calendars(config: SlaConfig) -> list[Issue]:
    """A policy must name a calendar defined in the same file."""
    known = ", ".join(config.calendars) or "none"
    return [
        error(("policies", i, "calendar"), f"unknown calendar {p.calendar!r} (calendars: {known})")
        for i, p in enumerate(config.policies)
        if p.calendar not in config.calendars
    ]


def working_hours_do_not_overlap(config: SlaConfig) -> list[Issue]:
    """Ranges of one day must not overlap (09:00-13:00 and 12:00-17:00 double-count an hour)."""
    issues = []
    for name, cal in config.calendars.items():
        for day in WEEKDAYS:
            ranges = sorted(enumerate(cal.hours.get(day, ())), key=lambda p: p[1].start)
            for (_, a), (j, b) in zip(ranges, ranges[1:], strict=False):
                if b.start < a.end:
                    issues.append(error(("calendars", name, "hours", day, j), f"{b} overlaps {a}"))
    return issues


def calendars_have_hours(config: SlaConfig) -> list[Issue]:
    """A calendar with no working hours would never reach a deadline."""
    return [
        error(("calendars", name, "hours"), "no working hours on any day")
        for name, cal in config.calendars.items()
        if not any(cal.hours.values())
    ]


def holidays_unique(config: SlaConfig) -> list[Issue]:
    """A holiday listed twice is harmless but usually a copy-paste slip."""
    issues = []
    for name, cal in config.calendars.items():
        counts = Counter(h.date for h in cal.holidays)
        seen: set[object] = set()
        for j, h in enumerate(cal.holidays):
            if counts[h.date] > 1 and h.date in seen:
                issues.append(
                    warning(("calendars", name, "holidays", j), f"holiday {h.date} is listed twice")
                )
            seen.add(h.date)
    return issues


def tiers_first_touch_after_accept(config: SlaConfig) -> list[Issue]:
    """First touch cannot be due before the lead has to be accepted."""
    return [
        error(
            ("policies", i, "tiers", j, "first_touch_within_hours"),
            f"tier {t.name!r}: first touch ({t.first_touch_within_hours:g}h) is due before "
            f"accept ({t.accept_within_hours:g}h)",
        )
        for i, p in enumerate(config.policies)
        for j, t in enumerate(p.tiers)
        if t.first_touch_within_hours < t.accept_within_hours
    ]


def tiers_cover_every_lead(config: SlaConfig) -> list[Issue]:
    """Without a catch-all tier some leads get no SLA."""
    return [
        warning(
            ("policies", i, "tiers"),
            f"policy {p.name!r} has no catch-all tier; unmatched leads get no SLA",
        )
        for i, p in enumerate(config.policies)
        if not any(t.match.is_catch_all for t in p.tiers)
    ]


def tiers_match_something(config: SlaConfig) -> list[Issue]:
    """A tier whose every lead falls in an earlier tier (first match wins) matches nothing."""
    issues = []
    for i, p in enumerate(config.policies):
        conds = [conditions(t.match, TIER_FIELDS) for t in p.tiers]
        for j, tier in enumerate(p.tiers):
            earlier = next((k for k in range(j) if covers(conds[k], conds[j])), None)
            if earlier is not None:
                issues.append(
                    error(
                        ("policies", i, "tiers", j),
                        f"tier {tier.name!r} matches nothing: every lead it covers falls in "
                        f"tier {p.tiers[earlier].name!r} first",
                    )
                )
    return issues


def escalation_steps_unique(config: SlaConfig) -> list[Issue]:
    """Two identical steps would share an idempotency key, so one would silently never run."""
    issues = []
    for i, p in enumerate(config.policies):
        counts = Counter((s.after, s.action) for s in p.escalation)
        issues += [
            error(("policies", i, "escalation", j), f"step {s.after} -> {s.action} is listed twice")
            for j, s in enumerate(p.escalation)
            if counts[(s.after, s.action)] > 1
        ]
    return issues


def _duplicates(
    items: Sequence[T], key: Callable[[T], Hashable], path: str, what: str
) -> list[Issue]:
    counts = Counter(key(x) for x in items)
    return [
        error((path, j), f"{what} {key(x)!r} is listed {counts[key(x)]} times")
        for j, x in enumerate(items)
        if counts[key(x)] > 1
    ]


def names_unique(config: SlaConfig) -> list[Issue]:
    """Policy names, commitments (month, segment) and reject codes must each be unique."""
    return (
        _duplicates(config.policies, lambda p: p.name, "policies", "policy")
        + _duplicates(
            config.mql_commitments,
            lambda c: (c.month, c.segment.casefold()),
            "mql_commitments",
            "commitment (month, segment)",
        )
        + _duplicates(config.reject_reasons, lambda r: r.code, "reject_reasons", "reject code")
    )


def teams_in_one_policy(config: SlaConfig) -> list[Issue]:
    """A team listed in two policies would silently take the first."""
    seen: dict[tuple[str, str], str] = {}
    issues = []
    for i, p in enumerate(config.policies):
        for team in p.teams:
            for subject in p.subjects or ("lead",):
                if (team, subject) in seen:
                    issues.append(
                        error(
                            ("policies", i, "teams"),
                            f"team {team!r} is already covered by policy "
                            f"{seen[(team, subject)]!r}"
                            + ("" if subject == "lead" else f" for {subject} handoffs"),
                        )
                    )
                seen.setdefault((team, subject), p.name)
    return issues


SLA_RULES: tuple[Callable[[SlaConfig], list[Issue]], ...] = (
    policies_reference_known_calendars,
    working_hours_do_not_overlap,
    calendars_have_hours,
    holidays_unique,
    tiers_first_touch_after_accept,
    tiers_cover_every_lead,
    tiers_match_something,
    escalation_steps_unique,
    names_unique,
    teams_in_one_policy,
)


def validate_sla(config: SlaConfig) -> list[Issue]:
    """Every semantic issue in an SLA configuration."""
    return [issue for check in SLA_RULES for issue in check(config)]


def validate_handoff(rules: RoutingRules, config: SlaConfig) -> list[Issue]:
    """Checks across both files: SLA policies name routing teams, and every team has a policy."""
    issues = [
        error(
            ("policies", i, "teams"),
            f"policy {p.name!r} names team {t!r}, which routing does not define",
        )
        for i, p in enumerate(config.policies)
        for t in p.teams
        if t not in rules.teams
    ]
    issues += segments_are_bands(rules, config)
    lead_policies = [p for p in config.policies if p.covers("lead")]
    if not any(not p.teams for p in lead_policies):
        covered = {t for p in lead_policies for t in p.teams}
        issues += [
            warning(
                ("policies",),
                f"routing team {t!r} has no SLA policy and there is no default policy",
            )
            for t in rules.teams
            if t not in covered
        ]
    return issues


def segments_are_bands(rules: RoutingRules, config: SlaConfig) -> list[Issue]:
    """A lead's segment is its routing employee band, so a tier or commitment naming any other
    segment matches nothing (checked only when bands are defined)."""
    bands = {b.name.casefold() for b in rules.employee_bands}
    if not bands:
        return []
    known = ", ".join(b.name for b in rules.employee_bands)
    issues = [
        error(
            ("policies", i, "tiers", j, "match", "segment"),
            f"tier {t.name!r} matches nothing: segment {seg!r} is no employee band ({known})",
        )
        for i, p in enumerate(config.policies)
        for j, t in enumerate(p.tiers)
        for seg in t.match.segment
        if seg.casefold() not in bands
    ]
    issues += [
        error(
            ("mql_commitments", k, "segment"),
            f"segment {c.segment!r} is no employee band ({known}, or all)",
        )
        for k, c in enumerate(config.mql_commitments)
        if c.segment.casefold() not in bands | {"all"}
    ]
    return issues
