"""View-models of the handoff: each page builds one, the HTML renders it, the JSON returns it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tandem.accounts.schemas import BuyingRoleGroup
from tandem.bounds import Count
from tandem.contacts.schemas import (
    ConsumedAsset,
    FirstArrival,
    OpportunitySummary,
    TimelineEntry,
)
from tandem.handoff.commitments import CommitmentRow
from tandem.handoff.scores import ScoreView
from tandem.handoff.sla import Clock, SlaStatus

#: How urgent each clock status is, most urgent first (queue and board order).
URGENCY = {"breached": 0, "at_risk": 1, "due": 2, "met": 3}


class ClockView(BaseModel):
    """One SLA clock as shown: status, deadline and business minutes left or overdue."""

    name: str
    status: str
    deadline: dt.datetime
    at_risk_at: dt.datetime
    completed_at: dt.datetime | None
    remaining_minutes: int
    overdue_minutes: int

    @classmethod
    def of(cls, clock: Clock) -> ClockView:
        """From the pure core's clock."""
        return cls(
            name=clock.name,
            status=clock.status,
            deadline=clock.deadline,
            at_risk_at=clock.at_risk_at,
            completed_at=clock.completed_at,
            remaining_minutes=int(clock.remaining.total_seconds() // 60),
            overdue_minutes=int(clock.overdue.total_seconds() // 60),
        )


class SlaView(BaseModel):
    """Both clocks of a handoff, with the policy and tier that set them."""

    policy: str
    tier: str
    accept: ClockView
    first_touch: ClockView | None
    urgency: str  # the most urgent status among open clocks ("met" when none is open)

    @classmethod
    def of(cls, status: SlaStatus) -> SlaView:
        """From the pure core's status."""
        open_ = [c.status for c in status.clocks if c.is_open] or ["met"]
        return cls(
            policy=status.policy,
            tier=status.tier,
            accept=ClockView.of(status.accept),
            first_touch=ClockView.of(status.first_touch) if status.first_touch else None,
            urgency=min(open_, key=lambda s: URGENCY[s]),
        )


class HandoffRead(BaseModel):
    """A handoff record: routing, SLA tier, and how sales answered."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    subject: str = "lead"  # lead | account (an MQA) | expansion | churn_risk
    contact_id: int | None
    account_id: int | None = None
    signal_id: int | None = None
    opportunity_id: int | None = None  # the expansion opportunity an accepted expansion opened
    status: str
    mql_at: dt.datetime
    cause: str | None
    owner_id: int | None
    queue: str | None
    team: str | None
    rule_id: str
    route_reason: str
    policy: str | None
    tier: str | None
    clock_started_at: dt.datetime
    accepted_at: dt.datetime | None
    rejected_at: dt.datetime | None
    reject_code: str | None
    reject_comment: str | None
    first_touch_at: dt.datetime | None
    reassignments: int


class ReasonView(BaseModel):
    """A reject reason the rep can pick."""

    code: str
    label: str
    outcome: str


class QueueItem(BaseModel):
    """One handoff in a rep's queue: a lead, or an account (MQA, expansion, churn risk) whose
    `contact_name` is the account's name; `subject_label` and `url` say which and where."""

    handoff: HandoffRead
    subject_label: str = "Lead"
    url: str = ""  # the packet page
    contact_name: str
    email: str | None
    title: str | None
    account_id: int | None
    account_name: str | None
    owner_name: str | None
    score: ScoreView | None
    sla: SlaView | None


class QueueView(BaseModel):
    """A rep's queue: leads to accept or reject (most urgent first), and accepted leads still
    waiting for their first touch."""

    as_of: dt.datetime
    user_id: int
    to_decide: list[QueueItem]
    to_touch: list[QueueItem]
    reject_reasons: list[ReasonView]


class NextStep(BaseModel):
    """What the rep should do first, and the facts behind the suggestion."""

    action: str
    why: list[str]


class StageStay(BaseModel):
    """Time spent in one stage, from the transition log."""

    stage: str
    entered_at: dt.datetime
    exited_at: dt.datetime | None
    hours: float


class PacketItem(BaseModel):
    """One line of a packet panel another capability adds: a named thing, why, and its page."""

    label: str
    detail: str | None = None
    url: str | None = None


class PacketSection(BaseModel):
    """A panel of the packet added by another capability (`Capability.packet_sections`)."""

    id: str  # the panel's element id
    title: str
    items: list[PacketItem]
    empty: str  # said when there is no item
    action: PacketItem | None = None  # what the rep can do from here (a link under the list)


class PacketView(BaseModel):
    """The handoff packet: everything a rep needs to act on one MQL."""

    as_of: dt.datetime
    contact_id: int
    full_name: str
    email: str
    title: str | None
    lifecycle_stage: str
    account_id: int | None
    account_name: str | None
    owner_name: str | None
    handoff: HandoffRead | None
    sla: SlaView | None
    score: ScoreView | None
    score_note: str | None  # "score not available" until scoring is stored
    first_arrival: FirstArrival
    content: list[ConsumedAsset]
    recent_activity: list[TimelineEntry]
    committee: list[BuyingRoleGroup]
    open_opportunities: list[OpportunitySummary]
    stages: list[StageStay]
    next_step: NextStep
    reject_reasons: list[ReasonView]
    sections: list[PacketSection] = []  # panels other capabilities add (content: send next)


class RejectIn(BaseModel):
    """A reject: the reason code is required, the comment optional."""

    reason_code: str = Field(min_length=1, max_length=50)
    comment: str | None = Field(None, max_length=2000)


class DecisionOut(BaseModel):
    """The answer to an accept or reject."""

    handoff: HandoffRead
    lifecycle_stage: str


class BoardRep(BaseModel):
    """One rep's line on the SLA board."""

    user_id: int | None
    name: str
    open: int
    at_risk: int
    breached: int


class BoardView(BaseModel):
    """A manager's SLA board: their teams' open leads by urgency, per rep, and compliance."""

    as_of: dt.datetime
    teams: list[str]
    reps: list[BoardRep]
    leads: list[QueueItem]
    accept_met_pct: float | None  # share of clocks started in the window that were met
    first_touch_met_pct: float | None
    window_days: int
    commitments: list[CommitmentRow]


class RejectRow(BaseModel):
    """MQLs from one campaign, channel or source, and why sales turned them down."""

    key: str
    handed_off: int
    accepted: int
    rejected: int
    reject_rate_pct: float | None
    by_reason: dict[str, int]


class RejectReport(BaseModel):
    """Reject reasons grouped by campaign, channel or source over a window."""

    as_of: dt.datetime
    by: str
    days: int
    reasons: list[ReasonView]
    rows: list[RejectRow]
    recent: list[HandoffRead]


class InboxItem(BaseModel):
    """One notification."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    subject: str
    body: str
    contact_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None
    emailed_at: dt.datetime | None


class InboxView(BaseModel):
    """A user's inbox."""

    unread: int
    items: list[InboxItem]


class RepSettingsIn(BaseModel):
    """A user's handoff settings; a capacity override is for managers and admins to set."""

    away: bool | None = None
    email_mode: str | None = Field(None, pattern="^(instant|digest|off)$")
    capacity: Count | None = None


class RoutingTest(BaseModel):
    """Where a contact would be routed now, and why (nothing is saved)."""

    contact_id: int
    owner_id: int | None
    owner_key: str | None
    queue: str | None
    rule_id: str
    team: str | None
    reason: str
    trace: list[str]
    policy: str | None
    tier: str | None


class TickReport(BaseModel):
    """What one scheduler tick did."""

    as_of: dt.datetime
    closed: int = 0
    routed: int = 0
    first_touches: int = 0
    evaluated: int = 0
    escalations: int = 0
    reassigned: int = 0
    notifications: int = 0
    emails: int = 0
    digests: int = 0
    seconds: float = 0.0


AccountSubject = Literal["account", "expansion", "churn_risk"]


class AccountAnswerIn(BaseModel):
    """Accepting an account handoff: which of the account's handoffs (an MQA by default)."""

    subject: AccountSubject = "account"


class AccountRejectIn(RejectIn):
    """Rejecting an account handoff: its subject, a reason code of that subject (required)
    and an optional comment."""

    subject: AccountSubject = "account"


class AccountHandoffView(BaseModel):
    """One of an account's handoffs on its packet: clocks, the reasons to reject it with, and
    for a usage signal the usage behind it (`tandem.usage.views.signal_packet`)."""

    handoff: HandoffRead
    subject_label: str
    sla: SlaView | None
    reject_reasons: list[ReasonView]
    signal: dict[str, Any] | None = None


class AccountPacketView(BaseModel):
    """The packet of a handed-off account: its latest handoff per subject and the account
    packet (`tandem.accounts.service.account_packet`: the score explained, the committee with
    its coverage gaps, the engaged contacts and what they consumed, open deals, next step)."""

    as_of: dt.datetime
    account_id: int
    account_name: str
    handoffs: list[AccountHandoffView]
    packet: dict[str, Any]
