"""content: the asset library (descriptions, personas, buying roles, products, owner, dates,
status), tracked shares, rep feedback, deal uses and jointly approved purges; the touches
naming an asset indexed

Revision ID: 0024_content_library
Revises: 0001

The single `persona` of an asset becomes the list `personas` (an existing value is kept as a
one-item list); `updated_at` starts as `created_at`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0024_content_library"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = tandem.db.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))
        for name in ("personas", "buying_roles", "products"):
            batch.add_column(sa.Column(name, sa.JSON(), nullable=True))
        batch.add_column(sa.Column("file_name", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("published_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("expires_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("expiry_notified_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("updated_at", UTC, nullable=True))
        batch.add_column(sa.Column("archived_at", UTC, nullable=True))
        batch.create_foreign_key(
            op.f("fk_assets_owner_id_users"), "users", ["owner_id"], ["id"], ondelete="SET NULL"
        )
    assets = sa.table(
        "assets",
        sa.column("id", sa.Integer()),
        sa.column("persona", sa.String()),
        sa.column("personas", sa.JSON()),
    )
    bind = op.get_bind()
    for asset_id, persona in bind.execute(sa.select(assets.c.id, assets.c.persona)).all():
        bind.execute(
            assets.update()
            .where(assets.c.id == asset_id)
            .values(personas=[persona] if persona else [])
        )
    full = sa.table(
        "assets",
        sa.column("buying_roles", sa.JSON()),
        sa.column("products", sa.JSON()),
        sa.column("status", sa.String()),
        sa.column("updated_at", UTC),
        sa.column("created_at", UTC),
    )
    bind.execute(
        full.update().values(
            buying_roles=[], products=[], status="live", updated_at=full.c.created_at
        )
    )
    with op.batch_alter_table("assets") as batch:
        for name in ("personas", "buying_roles", "products"):
            batch.alter_column(name, existing_type=sa.JSON(), nullable=False)
        batch.alter_column("status", existing_type=sa.String(length=12), nullable=False)
        batch.alter_column("updated_at", existing_type=UTC, nullable=False)
        batch.drop_column("persona")
        batch.create_index("ix_assets_status_expires", ["status", "expires_on"])

    op.create_table(
        "asset_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("batch", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        _fk("asset_shares", "asset_id", "assets", "CASCADE"),
        _fk("asset_shares", "user_id", "users", "SET NULL"),
        _fk("asset_shares", "contact_id", "contacts", "CASCADE"),
        _fk("asset_shares", "deal_id", "opportunities", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_asset_shares_token_hash")),
    )
    for column in ("asset", "contact", "user", "batch"):
        name = column if column == "batch" else f"{column}_id"
        op.create_index(f"ix_asset_shares_{column}", "asset_shares", [name])

    op.create_table(
        "asset_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        _fk("asset_feedback", "asset_id", "assets", "CASCADE"),
        _fk("asset_feedback", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_feedback")),
        sa.UniqueConstraint("asset_id", "user_id", name="uq_asset_feedback_asset_user"),
    )
    op.create_table(
        "asset_deal_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        _fk("asset_deal_uses", "asset_id", "assets", "CASCADE"),
        _fk("asset_deal_uses", "deal_id", "opportunities", "CASCADE"),
        _fk("asset_deal_uses", "user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_deal_uses")),
        sa.UniqueConstraint("asset_id", "deal_id", name="uq_asset_deal_uses_asset_deal"),
    )
    op.create_index("ix_asset_deal_uses_deal", "asset_deal_uses", ["deal_id"])

    op.create_index(
        "ix_activities_asset",
        "activities",
        ["asset_id", "occurred_at"],
        sqlite_where=sa.text("asset_id IS NOT NULL"),
        postgresql_where=sa.text("asset_id IS NOT NULL"),
    )
    op.create_table(
        "content_purges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_team", sa.String(length=20), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _fk("content_purges", "proposed_by_id", "users", "SET NULL"),
        _fk("content_purges", "decided_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_purges")),
    )


def downgrade() -> None:
    op.drop_table("content_purges")
    op.drop_index("ix_activities_asset", table_name="activities")
    op.drop_index("ix_asset_deal_uses_deal", table_name="asset_deal_uses")
    op.drop_table("asset_deal_uses")
    op.drop_table("asset_feedback")
    for column in ("asset", "contact", "user", "batch"):
        op.drop_index(f"ix_asset_shares_{column}", table_name="asset_shares")
    op.drop_table("asset_shares")
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("persona", sa.String(length=60), nullable=True))
    assets = sa.table(
        "assets",
        sa.column("id", sa.Integer()),
        sa.column("persona", sa.String()),
        sa.column("personas", sa.JSON()),
    )
    bind = op.get_bind()
    for asset_id, personas in bind.execute(sa.select(assets.c.id, assets.c.personas)).all():
        if personas:
            bind.execute(
                assets.update().where(assets.c.id == asset_id).values(persona=personas[0][:60])
            )
    with op.batch_alter_table("assets") as batch:
        batch.drop_index("ix_assets_status_expires")
        batch.drop_constraint(op.f("fk_assets_owner_id_users"), type_="foreignkey")
        for name in ("archived_at", "updated_at", "expiry_notified_on", "status", "expires_on",
                     "published_on", "owner_id", "file_name", "products", "buying_roles",
                     "personas", "description"):  # fmt: skip
            batch.drop_column(name)
