"""Roles and teams: who a user is in the revenue process."""

from enum import StrEnum


class Role(StrEnum):
    """What a user may do; permissions are derived from the role."""

    ADMIN = "admin"
    MARKETER = "marketer"
    SALES_REP = "sales_rep"
    SALES_MANAGER = "sales_manager"
    EXECUTIVE = "executive"


class TeamKind(StrEnum):
    """The two sides that Tandem aligns."""

    MARKETING = "marketing"
    SALES = "sales"


#: The team a role naturally belongs to (admins and executives span both).
ROLE_TEAM: dict[Role, TeamKind | None] = {
    Role.ADMIN: None,
    Role.MARKETER: TeamKind.MARKETING,
    Role.SALES_REP: TeamKind.SALES,
    Role.SALES_MANAGER: TeamKind.SALES,
    Role.EXECUTIVE: None,
}
