"""Lifecycle stages: the shared vocabulary of where a contact stands in the funnel."""

from enum import StrEnum


class Stage(StrEnum):
    """A contact's lifecycle stage, in funnel order (nurture and disqualified sit aside)."""

    SUBSCRIBER = "subscriber"
    LEAD = "lead"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"


#: The forward funnel, in order. Nurture and disqualified are off the main path.
FUNNEL: tuple[Stage, ...] = (
    Stage.SUBSCRIBER,
    Stage.LEAD,
    Stage.MQL,
    Stage.SAL,
    Stage.SQL,
    Stage.OPPORTUNITY,
    Stage.CUSTOMER,
)


def funnel_rank(stage: Stage) -> int:
    """Position of a stage on the forward funnel; off-path stages rank -1."""
    return FUNNEL.index(stage) if stage in FUNNEL else -1
