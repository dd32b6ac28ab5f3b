"""Content that counts: the library, tracked shares and buyer views, rep feedback, the purge."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="content",
    summary="The content library: tagged assets, tracked shares and views, feedback, purges.",
    permissions="tandem.content.access:RULES",
    routers=(
        "tandem.content.api:router",
        "tandem.content.pages:router",
        "tandem.content.pages:public",
    ),  # fmt: skip
    tables=("tandem.content.models",),
    cli={"content": "tandem.content.cli:app"},
    tasks=("tandem.content.scheduler:install",),
    definitions=("tandem.content.definitions:TAXONOMY",),
    nav=(("Content", "/content"),),
    pure=("tandem.content.taxonomy", "tandem.content.links", "tandem.content.journey"),
)
