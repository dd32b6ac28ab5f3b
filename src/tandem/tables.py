"""Import every table module so `Base.metadata` is complete (for Alembic and tests)."""

from tandem.accounts.models import Account
from tandem.activities.models import Activity
from tandem.audit.models import AuditEvent
from tandem.auth.models import ApiToken, Team, User, UserSession
from tandem.campaigns.models import Campaign
from tandem.contacts.models import Contact
from tandem.content.models import Asset
from tandem.db import Base
from tandem.lifecycle.models import StageTransition
from tandem.opportunities.models import Opportunity, OpportunityContactRole
from tandem.usage.models import UsageFact

metadata = Base.metadata

__all__ = [
    "Account",
    "Activity",
    "ApiToken",
    "Asset",
    "AuditEvent",
    "Campaign",
    "Contact",
    "Opportunity",
    "OpportunityContactRole",
    "StageTransition",
    "Team",
    "UsageFact",
    "User",
    "UserSession",
    "metadata",
]
