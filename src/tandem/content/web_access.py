"""Who may read the content insights: the aggregate pages and figures are for every role; a
contact's or a deal's suggestions follow the record's owner."""

from tandem.auth.permissions import Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/content/insights"): allow(),
    ("GET", "/content/gaps"): allow(),
    ("GET", "/api/v1/content/insights"): allow(),
    ("GET", "/api/v1/content/influence"): allow(),
    ("GET", "/api/v1/content/gaps"): allow(),
    ("GET", "/api/v1/content/backtest"): allow(),
    ("GET", "/api/v1/content/suggest/contacts/{contact_id}"): allow(owns=("contact", "contact_id")),
    ("GET", "/api/v1/content/suggest/deals/{opportunity_id}"): allow(
        owns=("opportunity", "opportunity_id")
    ),
}
