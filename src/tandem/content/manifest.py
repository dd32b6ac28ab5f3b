"""Content that counts: the library, tracked shares and buyer views, rep feedback, the purge."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="content",
    summary="The content library: tagged assets, tracked shares and views, feedback, purges.",
    permissions="tandem.content.access:RULES",
    routers=(
        # The insights first: /content/insights and /content/gaps before /content/{asset_id}.
        "tandem.content.web:pages",
        "tandem.content.web:api",
        "tandem.content.api:router",
        "tandem.content.pages:router",
        "tandem.content.pages:public",
    ),  # fmt: skip
    tables=("tandem.content.models",),
    cli={"content": "tandem.content.cli:app"},
    tasks=("tandem.content.scheduler:install",),
    definitions=("tandem.content.definitions:TAXONOMY",),
    nav=(("Content", "/content"),),
    pure=(
        "tandem.content.taxonomy",
        "tandem.content.links",
        "tandem.content.journey",
        "tandem.content.influence",
        "tandem.content.comparison",
        "tandem.content.gaps",
        "tandem.content.suggest",
        "tandem.content.metrics",
    ),
    metrics=("tandem.content.metrics:METRICS",),
    relations=("tandem.content.frames:RELATIONS",),
    review_sections=("tandem.content.review:sections",),
    packet_sections=("tandem.content.packet:send_next",),
)
