"""opportunities: an unknown amount or creation date stays null, with the reason kept per deal

Revision ID: 0022_unknown_values
Revises: 0021_handoff_open_leads
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0022_unknown_values"
down_revision: str | None = "0021_handoff_open_leads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite changes a column's nullability by copying the table.
    with op.batch_alter_table("opportunities") as batch:
        batch.alter_column("amount", existing_type=sa.Numeric(18, 2), nullable=True)
        batch.alter_column(
            "created_at", existing_type=tandem.db.UTCDateTime(timezone=True), nullable=True
        )
        batch.add_column(sa.Column("unknown", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    # Deals stored with an unknown value cannot go back to a NOT NULL column: the downgrade
    # refuses rather than invent the 0 or the date this revision exists to avoid.
    bind = op.get_bind()
    unknown = bind.execute(
        sa.text("SELECT count(*) FROM opportunities WHERE amount IS NULL OR created_at IS NULL")
    ).scalar_one()
    if unknown:
        raise RuntimeError(
            f"{unknown} deals have an unknown amount or creation date: "
            "the NOT NULL columns of revision 0021 cannot hold them"
        )
    with op.batch_alter_table("opportunities") as batch:
        batch.drop_column("unknown")
        batch.alter_column(
            "created_at", existing_type=tandem.db.UTCDateTime(timezone=True), nullable=False
        )
        batch.alter_column("amount", existing_type=sa.Numeric(18, 2), nullable=False)
