"""The plain inputs and outputs of scoring: facts in, scores with their explanation out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

ContactId = int | str


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """A contact's fields, keyed `contact.*` and `account.*` (its account's fields)."""

    contact_id: ContactId
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActivityFact:
    """One touch by a contact. `occurred_at` must be timezone-aware."""

    contact_id: ContactId
    activity_type: str
    occurred_at: datetime
    channel: str | None = None
    campaign: str | None = None
    asset_stage: str | None = None
    url: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("ActivityFact.occurred_at must be timezone-aware (UTC)")


@dataclass(frozen=True, slots=True)
class RulePart:
    """What one rule gave: points (2 decimals), occurrences counted, and whether a cap bit."""

    rule_id: str
    kind: Literal["fit", "behaviour"]
    points: Decimal
    occurrences: int = 1
    capped: bool = False


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """A contact's score as of a moment; `total == fit + engagement == sum(parts)` exactly."""

    contact_id: ContactId
    as_of: datetime
    fit: Decimal
    engagement: Decimal
    total: Decimal
    grade: str
    is_mql: bool
    parts: tuple[RulePart, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the API and the handoff packet."""
        return {
            "contact_id": self.contact_id,
            "as_of": self.as_of.isoformat(),
            "fit": float(self.fit),
            "engagement": float(self.engagement),
            "total": float(self.total),
            "grade": self.grade,
            "is_mql": self.is_mql,
            "parts": [
                {
                    "rule_id": p.rule_id,
                    "kind": p.kind,
                    "points": float(p.points),
                    "occurrences": p.occurrences,
                    "capped": p.capped,
                }
                for p in self.parts
            ],
        }
