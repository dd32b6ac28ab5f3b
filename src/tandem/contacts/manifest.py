"""Contacts, accounts, activities, campaigns and deals: the shared records, created and edited
in the browser and the API (tandem.records), with their timelines and the pipeline board."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="records",
    summary="The shared data model: contacts, accounts, activities, campaigns, deals; their "
    "forms, timelines (notes, tasks, calls, meetings) and the pipeline board.",
    tables=(
        "tandem.contacts.models",
        "tandem.activities.models",
        "tandem.campaigns.models",
        "tandem.opportunities.models",
        "tandem.records.models",
    ),
    # Installed before the shell (tandem.web): `/contacts/new` must match before
    # `/contacts/{contact_id}` does.
    routers=("tandem.records.api:router", "tandem.records.pages:router"),
    permissions="tandem.records.access:RULES",
    nav=(("Pipeline", "/opportunities/board"), ("Tasks", "/tasks")),
    cli={"contacts": "tandem.ingest.cli:contacts_app"},
    pure=("tandem.activities.types", "tandem.activities.channels"),
)
