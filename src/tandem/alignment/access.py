"""Who may open the alignment pages, and the public survey form.

The report is anonymous by construction (groups under the minimum size are left out), so
every role reads it: both teams see the same gaps. The survey form is public: a customer has
no account, and the one-time link is the credential."""

from tandem.auth.permissions import PUBLIC, Rule, allow

RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/alignment"): allow(),
    ("GET", "/alignment/waves/{wave_id}"): allow(),
    ("GET", "/alignment/waves/{wave_id}/pdf"): allow(),
    ("GET", "/api/v1/alignment/waves"): allow(),
    ("GET", "/api/v1/alignment/waves/{wave_id}"): allow(),
    ("GET", "/survey/{token}"): PUBLIC,
    ("POST", "/survey/{token}"): PUBLIC,
}
