"""Everyone signed in may search; what each finds is limited to what they may open."""

from tandem.auth.permissions import Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/search"): allow(),
    ("GET", "/api/v1/search"): allow(),
}
