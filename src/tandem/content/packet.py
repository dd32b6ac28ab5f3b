"""The lead packet's content panel (`Capability.packet_sections`): what to send next, each
suggestion explained in counts, with a link to share it with this lead."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tandem.content.analytics_service import packet_content
from tandem.handoff.schemas import PacketItem, PacketSection


def send_next(
    *, db_session: Session, facts: Callable[[], Any], contact_id: int, as_of: datetime
) -> PacketSection:
    """The assets contacts like this one consumed next on the way to a won deal, unseen ones."""
    found = packet_content(db_session, facts=facts(), contact_id=contact_id, as_of=as_of)
    items = [
        PacketItem(label=s.title, detail=s.because, url=f"/content/{s.asset_id}")
        for s in found.suggestions
    ]
    return PacketSection(
        id="send-next",
        title="What to send next",
        items=items,
        empty="No suggestion yet: too few won deals like this one read content.",
        action=PacketItem(
            label="Share content with this lead", url=f"/content?contact={contact_id}"
        ),
    )
