"""Routing rules as read from YAML: teams of reps, ordered territory rules, a fallback queue."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from tandem.definitions.base import ConfigModel, as_tuple

#: The lead fields a territory rule can match on, in the order explanations list them.
MATCH_FIELDS: tuple[str, ...] = ("region", "country", "industry", "employee_band", "tier")


class RoutingMatch(ConfigModel):
    """Conditions of a territory rule: every listed field must match one of its values
    (case-insensitive); fields left out match anything. An empty match catches every lead."""

    region: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    employee_band: tuple[str, ...] = ()
    tier: tuple[str, ...] = ()
    is_target: bool | None = None

    _single = field_validator(*MATCH_FIELDS, mode="before")(as_tuple)

    @property
    def is_catch_all(self) -> bool:
        """True when the match has no conditions."""
        return not any(getattr(self, f) for f in MATCH_FIELDS) and self.is_target is None


class Rep(ConfigModel):
    """A rep in a team: `capacity` is both the open-lead limit and the round-robin weight."""

    user_id: str
    capacity: int = Field(ge=0)
    away: bool = False


class Team(ConfigModel):
    """A round-robin team; reps take turns in proportion to their capacity."""

    reps: tuple[Rep, ...]
    manager_id: str | None = None  # who `alert_manager` escalations go to


class TerritoryRule(ConfigModel):
    """Leads matching `match` go to `team` (round robin) or to a list of specific `reps`."""

    id: str
    description: str = ""
    match: RoutingMatch = RoutingMatch()
    team: str | None = None
    reps: tuple[str, ...] = ()

    _single = field_validator("reps", mode="before")(as_tuple)

    @model_validator(mode="after")
    def _one_target(self) -> TerritoryRule:
        if (self.team is None) == (not self.reps):
            raise ValueError("a rule routes to exactly one of `team` or `reps`")
        return self


class AccountOwnerRule(ConfigModel):
    """Leads at an account with an owner go to that owner first (account continuity)."""

    enabled: bool = True
    respect_away: bool = True  # an away owner falls through to the territory rules


class EmployeeBand(ConfigModel):
    """A named company-size band, used when a lead has a head count but no band."""

    name: str
    min: int = Field(ge=0)
    max: int | None = None  # inclusive; None means no upper bound

    @model_validator(mode="after")
    def _ordered(self) -> EmployeeBand:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"band {self.name!r}: max ({self.max}) is below min ({self.min})")
        return self


class Fallback(ConfigModel):
    """Where a lead goes when nothing else routes it: a shared queue worked by hand."""

    queue: str = Field(min_length=1)
    claimable: bool = False  # reps may accept leads waiting here; the first to accept owns them


class RoutingRules(ConfigModel):
    """One routing file: account-owner step, employee bands, teams, ordered rules, fallback."""

    version: int = 1
    account_owner: AccountOwnerRule = AccountOwnerRule()
    employee_bands: tuple[EmployeeBand, ...] = ()
    teams: dict[str, Team]
    rules: tuple[TerritoryRule, ...] = ()
    fallback: Fallback

    def band_for(self, employee_count: int | None) -> str | None:
        """The name of the first band containing `employee_count`, if any."""
        if employee_count is None:
            return None
        for band in self.employee_bands:
            if band.min <= employee_count and (band.max is None or employee_count <= band.max):
                return band.name
        return None

    def rep(self, user_id: str) -> Rep | None:
        """The rep entry for `user_id` in the first team listing them."""
        for team in self.teams.values():
            for rep in team.reps:
                if rep.user_id == user_id:
                    return rep
        return None

    def manager_of(self, user_id: str) -> str | None:
        """The manager of the first team listing `user_id` (who `alert_manager` notifies)."""
        for team in self.teams.values():
            if team.manager_id and any(r.user_id == user_id for r in team.reps):
                return team.manager_id
        return None
