"""Contacts, accounts, activities, campaigns and deals: the shared records."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="records",
    summary="The shared data model: contacts, accounts, activities, campaigns, deals.",
    tables=(
        "tandem.contacts.models",
        "tandem.activities.models",
        "tandem.campaigns.models",
        "tandem.opportunities.models",
        "tandem.records.models",
    ),
    cli={"contacts": "tandem.ingest.cli:contacts_app"},
    pure=("tandem.activities.types", "tandem.activities.channels"),
)
