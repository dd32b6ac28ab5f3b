"""Goal inputs and the goals page view-model."""

from datetime import datetime

from pydantic import BaseModel, model_validator

from tandem.analytics.schemas import Notice
from tandem.bounds import Target
from tandem.goals.metrics import METRICS, TEAMS
from tandem.goals.pace import Pace
from tandem.ids import BodyId


class GoalIn(BaseModel):
    """A goal to set: for a team or for one user (a quota), never both."""

    team: str | None = None
    user_id: BodyId | None = None
    metric: str
    period: str
    target: Target

    @model_validator(mode="after")
    def _one_owner(self) -> "GoalIn":
        if (self.team is None) == (self.user_id is None):
            raise ValueError("a goal is for a team or for one user: give exactly one")
        if self.team is not None and self.team not in TEAMS:
            raise ValueError(f"team must be one of {', '.join(TEAMS)}, not {self.team!r}")
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, not {self.metric!r}")
        return self


class GoalRow(BaseModel):
    """A goal with its attainment at `as_of`."""

    id: int
    team: str | None
    user_id: int | None
    user_name: str | None
    metric: str
    metric_label: str
    unit: str
    period: str
    pace: Pace


class MetricInfo(BaseModel):
    name: str
    label: str
    team: str
    unit: str
    definition: str


class GoalsView(BaseModel):
    """Team goals beside individual quotas: the same page for marketing and sales."""

    as_of: datetime
    data_as_of: datetime
    period: str | None
    team_goals: list[GoalRow]
    quotas: list[GoalRow]
    metrics: list[MetricInfo]
    can_edit: bool
    notices: list[Notice] = []
