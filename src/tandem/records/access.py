"""Who may create, edit and delete records, move deals and add to timelines (docs/records.md).

Writes follow the object rule of reads: a rep edits the contacts, accounts and deals the rep
may open (own, unassigned where allowed, leads routed to them); services refuse a rep giving a
record to someone else or making a deal on an account the rep may not open. Marketers create
and edit contacts and accounts, not deals; executives read. Only admins and sales managers
delete (a delete takes the record's timeline with it; the audit log keeps its last values).
"""

from tandem.auth.permissions import CONTACT, Rule, allow
from tandem.auth.roles import Role

A, M, R, SM, E = Role.ADMIN, Role.MARKETER, Role.SALES_REP, Role.SALES_MANAGER, Role.EXECUTIVE
ACCOUNT = ("account", "account_id")
DEAL = ("opportunity", "opportunity_id")
EDITORS = (A, M, R, SM)  # contacts, accounts, timelines
SELLERS = (A, R, SM)  # deals
DELETERS = (A, SM)

_EDIT = {"contacts": (CONTACT, EDITORS), "accounts": (ACCOUNT, EDITORS)}
_EDIT["opportunities"] = (DEAL, SELLERS)


def _record_rules() -> dict[tuple[str, str], Rule]:
    rules: dict[tuple[str, str], Rule] = {}
    for plural, (owns, roles) in _EDIT.items():
        one = f"/{plural}/{{{owns[1]}}}"
        rules[("GET", f"/{plural}/new")] = allow(*roles)
        rules[("POST", f"/{plural}/new")] = allow(*roles)
        rules[("GET", f"{one}/edit")] = allow(*roles, owns=owns)
        rules[("POST", f"{one}/edit")] = allow(*roles, owns=owns)
        rules[("POST", f"{one}/delete")] = allow(*DELETERS, owns=owns)
        rules[("POST", f"{one}/entries")] = allow(*EDITORS, owns=owns)
        rules[("PATCH", f"/api/v1{one}")] = allow(*roles, owns=owns)
        rules[("DELETE", f"/api/v1{one}")] = allow(*DELETERS, owns=owns)
        rules[("GET", f"/api/v1{one}/entries")] = allow(owns=owns)
        rules[("POST", f"/api/v1{one}/entries")] = allow(*EDITORS, owns=owns)
    return rules


RULES: dict[tuple[str, str], Rule] = {
    **_record_rules(),
    # A new deal may start from an account's page (?account_id=): the account must be theirs.
    ("GET", "/opportunities/new"): allow(*SELLERS, owns=ACCOUNT),
    ("GET", "/opportunities/board"): allow(),
    ("GET", "/api/v1/opportunities/board"): allow(),
    ("GET", "/opportunities/{opportunity_id}"): allow(owns=DEAL),
    ("GET", "/api/v1/opportunities/{opportunity_id}"): allow(owns=DEAL),
    ("POST", "/api/v1/opportunities"): allow(*SELLERS),
    ("POST", "/opportunities/{opportunity_id}/stage"): allow(*SELLERS, owns=DEAL),
    ("POST", "/api/v1/opportunities/{opportunity_id}/stage"): allow(*SELLERS, owns=DEAL),
    ("GET", "/tasks"): allow(*EDITORS),
    ("GET", "/api/v1/tasks"): allow(*EDITORS),
    ("POST", "/entries/{entry_id}/done"): allow(*EDITORS),
    ("PATCH", "/api/v1/entries/{entry_id}"): allow(*EDITORS),
}
