"""The demo data set."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="demo",
    summary="A deterministic demo funnel and `make demo`'s setup.",
    cli={"demo": "tandem.demo.cli:app"},
    pure=("tandem.demo.generate",),
)
