"""Alignment measured: survey instruments, waves, perception gaps, say versus do, indexes."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="alignment",
    permissions="tandem.alignment.access:RULES",
    summary="Surveys of both teams and customers: perception gaps, say versus do, the index.",
    tables=("tandem.alignment.models",),
    routers=(
        "tandem.alignment.web:api",
        "tandem.alignment.web:pages",
        "tandem.alignment.web:public",
    ),
    cli={
        "survey": "tandem.alignment.cli:survey_app",
        "alignment": "tandem.alignment.cli:alignment_app",
    },
    definitions=("tandem.alignment.definitions:SURVEY",),
    metrics=("tandem.alignment.metrics:METRICS",),
    nav=(("Alignment", "/alignment"),),
    review_sections=("tandem.alignment.review:sections",),
    pure=(
        "tandem.alignment.instrument",
        "tandem.alignment.stats",
        "tandem.alignment.analysis",
        "tandem.alignment.schemas",
        "tandem.alignment.synthetic",
        "tandem.alignment.metrics",
    ),
)
