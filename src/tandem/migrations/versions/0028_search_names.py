"""search: indexes on the lower-cased names the search box reads by prefix (contacts' first and
last names, accounts' and deals' names)

Revision ID: 0028_search_names
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_search_names"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Building an index reads the table once; it does not copy it.
    op.create_index("ix_contacts_first_name_lower", "contacts", [sa.text("lower(first_name)")])
    op.create_index("ix_contacts_last_name_lower", "contacts", [sa.text("lower(last_name)")])
    op.create_index("ix_accounts_name_lower", "accounts", [sa.text("lower(name)")])
    op.create_index("ix_opportunities_name_lower", "opportunities", [sa.text("lower(name)")])


def downgrade() -> None:
    op.drop_index("ix_opportunities_name_lower", table_name="opportunities")
    op.drop_index("ix_accounts_name_lower", table_name="accounts")
    op.drop_index("ix_contacts_last_name_lower", table_name="contacts")
    op.drop_index("ix_contacts_first_name_lower", table_name="contacts")
