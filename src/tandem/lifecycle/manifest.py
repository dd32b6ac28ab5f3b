"""Lifecycle: the state machine of stages and its one writer."""

from tandem.capabilities import Capability

CAPABILITY = Capability(
    name="lifecycle",
    summary="Stages, the allowed moves (and what an import may do), the transition log.",
    tables=("tandem.lifecycle.models",),
    pure=(
        "tandem.lifecycle.stages",
        "tandem.lifecycle.moves",
        "tandem.lifecycle.durations",
        "tandem.lifecycle.deal_moves",
    ),
)
