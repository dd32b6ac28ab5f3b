"""Lists: one machinery for the contacts, accounts, deals and leads lists."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="lists",
    summary="Contacts, accounts, deals and leads: sort, filter, columns, saved views, bulk "
    "actions and CSV export.",
    permissions="tandem.lists.access:RULES",
    tables=("tandem.lists.models",),
    routers=("tandem.lists.api:router", "tandem.lists.pages:router"),
    nav=(("Deals", "/opportunities"), ("Leads", "/leads")),
    pure=("tandem.lists.spec", "tandem.lists.catalog"),
)
