"""The account events (on the same bus as `tandem.events`).

`AccountsQualified` is the MQA moment: published in the transaction that first scored the
accounts over the MQA rule. The MQA handoff (issue 17, item 5) subscribes to it to route each
account through the handoff's routing and SLA clocks with `service.account_packet`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AccountsQualified:
    """Accounts that became marketing-qualified accounts (MQAs) at `at`."""

    account_ids: Sequence[int]
    model_version: str
    at: datetime
    cause: str  # activity | rescore
