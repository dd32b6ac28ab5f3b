"""Who may read attribution: reports for all, a deal's retrospective follows its owner."""

from tandem.auth.permissions import Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    # Attribution: aggregate reports for all; a deal's retrospective follows its owner.
    ("GET", "/attribution"): allow(),
    ("GET", "/api/v1/attribution"): allow(),
    ("GET", "/api/v1/attribution/export.csv"): allow(),
    ("GET", "/opportunities/{opportunity_id}/retrospective"): allow(
        owns=("opportunity", "opportunity_id")
    ),
    ("GET", "/api/v1/attribution/opportunities/{opportunity_id}"): allow(
        owns=("opportunity", "opportunity_id")
    ),
}
