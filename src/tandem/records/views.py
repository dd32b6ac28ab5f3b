"""What the records pages and API answer with: a record's stored values and version, the
deal page's view-model, and the workspace currency amounts are shown in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.accounts.models import Account
from tandem.auth.models import User
from tandem.auth.visibility import Visibility, readable_contacts
from tandem.contacts.models import Contact
from tandem.lifecycle.models import DealStageTransition
from tandem.opportunities.models import Opportunity
from tandem.records.editing import get_or_404, plain


def workspace_currency(request: Request) -> str:
    """The currency the workspace counts in (`TANDEM_CURRENCY`)."""
    return request.app.state.settings.currency


def record_values(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The record's id, fields and version, JSON-ready (the API's answer to an edit)."""
    return {
        "id": record.id,
        **{n: plain(getattr(record, n)) for n in fields},
        "version": record.version,
    }


class DealRecord(BaseModel):
    """A deal's stored values, its stage and the version an edit must name."""

    id: int
    name: str
    account_id: int | None
    primary_contact_id: int | None
    stage: str
    amount: Decimal | None
    currency: str
    expected_close_on: dt.date | None
    deal_type: str
    product_line: str | None
    segment: str | None
    region: str | None
    vertical: str | None
    owner_id: int | None
    is_closed: bool
    is_won: bool
    closed_at: dt.datetime | None
    lost_reason: str | None
    created_at: dt.datetime | None
    version: int

    @classmethod
    def of(cls, deal: Opportunity) -> DealRecord:
        return cls.model_validate(deal, from_attributes=True)


class DealTransition(BaseModel):
    """One move of the deal, from the lifecycle's deal log."""

    from_stage: str | None
    to_stage: str
    occurred_at: dt.datetime
    by: str | None
    reason: str | None


class DealPage(BaseModel):
    """Everything the deal page shows."""

    deal: DealRecord
    account: str | None
    contact: str | None
    contact_visible: bool
    owner: str | None
    transitions: list[DealTransition]


def deal_page(db_session: Session, deal_id: int, visible_to: Visibility) -> DealPage:
    """The deal page's view-model (NotFound for an unknown deal)."""
    deal = get_or_404(db_session, Opportunity, deal_id, "deal")
    account = db_session.get(Account, deal.account_id) if deal.account_id else None
    contact = db_session.get(Contact, deal.primary_contact_id) if deal.primary_contact_id else None
    owner = db_session.get(User, deal.owner_id) if deal.owner_id else None
    rows = db_session.execute(
        select(DealStageTransition, User.name)
        .outerjoin(User, User.id == DealStageTransition.by_user_id)
        .where(DealStageTransition.opportunity_id == deal_id)
        .order_by(DealStageTransition.occurred_at.desc(), DealStageTransition.id.desc())
    ).all()
    seen = readable_contacts(db_session, [contact.id], visible_to) if contact else set()
    return DealPage(
        deal=DealRecord.of(deal),
        account=account.name if account else None,
        contact=contact.full_name if contact else None,
        contact_visible=bool(seen),
        owner=owner.name if owner else None,
        transitions=[
            DealTransition(
                from_stage=t.from_stage,
                to_stage=t.to_stage,
                occurred_at=t.occurred_at,
                by=name,
                reason=t.reason,
            )
            for t, name in rows
        ],
    )


_PLURAL = {"contact": "contacts", "account": "accounts", "opportunity": "opportunities"}


def timeline_context(
    db_session: Session, user: User, kind: str, record_id: int, today: dt.date
) -> dict[str, Any]:
    """What a record page's timeline panel and actions need: its entries, where the add form
    posts, whether the user may add and delete (the permission table's rows for those forms)."""
    from tandem.auth.permissions import rule_for
    from tandem.records import timeline

    param = {"contact": "contact_id", "account": "account_id"}.get(kind, "opportunity_id")
    add = rule_for("POST", f"/{_PLURAL[kind]}/{{{param}}}/entries")
    delete = rule_for("POST", f"/{_PLURAL[kind]}/{{{param}}}/delete")
    return {
        "entries": timeline.entries_for(db_session, kind, record_id, today),  # type: ignore[arg-type]
        "entry_action": f"/{_PLURAL[kind]}/{record_id}/entries",
        "may_add_entry": add is not None and add.roles is not None and user.role in add.roles,
        "may_delete": delete is not None and delete.roles is not None and user.role in delete.roles,
    }
