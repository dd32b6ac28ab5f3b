"""lists: saved views of every list (private or shared; the accounts list's views moved in) and
static lists; indexes on contacts for owner and account filters

Revision ID: 0032_lists_views
Revises: 0028_search_names, 0025_accounts_abm
"""

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0032_lists_views"
# Also after 0025: the accounts list's saved views are copied here before their table goes.
down_revision: str | Sequence[str] | None = ("0028_search_names", "0025_accounts_abm")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _accounts_query(old: str) -> str:
    """An accounts-list query of 0025 (`min_score`, `desc`, `mqa=true`) in the lists' terms."""
    params = dict(parse_qsl(old))
    out = [(k, params[k]) for k in ("tier", "stage", "owner") if params.get(k)]
    if params.get("min_score"):
        out.append(("score_min", params["min_score"]))
    if params.get("mqa") in ("true", "false"):
        out.append(("mqa", "yes" if params["mqa"] == "true" else "no"))
    sort = params.get("sort", "score")
    sort = sort if sort in ("name", "score", "tier") else "score"
    out.append(("sort", ("" if params.get("desc") == "false" else "-") + sort))
    return urlencode(out)


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.String(length=2000), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", tandem.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_views_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint("user_id", "list_name", "name", name=op.f("uq_saved_views_user_id")),
    )
    op.create_index(op.f("ix_saved_views_user_id"), "saved_views", ["user_id"])
    op.create_table(
        "static_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_static_lists_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_static_lists")),
        sa.UniqueConstraint("entity", "name", name=op.f("uq_static_lists_entity")),
    )
    op.create_table(
        "static_list_members",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("added_at", tandem.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["static_lists.id"],
            name=op.f("fk_static_list_members_list_id_static_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "record_id", name=op.f("pk_static_list_members")),
    )
    op.create_index("ix_static_list_members_record", "static_list_members", ["record_id"])
    op.create_index("ix_contacts_owner_created", "contacts", ["owner_id", "created_at"])
    op.create_index("ix_contacts_account_stage", "contacts", ["account_id", "lifecycle_stage"])
    if op.get_bind().dialect.name == "sqlite":
        # SQLite plans by the statistics ANALYZE keeps; without them for the new index it
        # walked an owner's 85,000 contacts for a stage filter matching none (1 s at 1M).
        op.execute("ANALYZE contacts")
    bind = op.get_bind()
    old = bind.execute(sa.text("SELECT user_id, name, query FROM account_saved_views")).all()
    views = sa.table(
        "saved_views",
        sa.column("user_id"),
        sa.column("list_name"),
        sa.column("name"),
        sa.column("query"),
        sa.column("shared"),
        sa.column("created_at", tandem.db.UTCDateTime()),
    )
    if old:
        now = tandem.db.utcnow()
        op.bulk_insert(
            views,
            [
                {
                    "user_id": u,
                    "list_name": "accounts",
                    "name": n,
                    "query": _accounts_query(q),
                    "shared": False,
                    "created_at": now,
                }
                for u, n, q in {(u, n): (u, n, q) for u, n, q in old}.values()
            ],
        )
    op.drop_table("account_saved_views")


def downgrade() -> None:
    op.create_table(
        "account_saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.String(1000), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_saved_views_user_id", "account_saved_views", ["user_id"])
    op.drop_index("ix_contacts_account_stage", table_name="contacts")
    op.drop_index("ix_contacts_owner_created", table_name="contacts")
    op.drop_index("ix_static_list_members_record", table_name="static_list_members")
    op.drop_table("static_list_members")
    op.drop_table("static_lists")
    op.drop_index(op.f("ix_saved_views_user_id"), table_name="saved_views")
    op.drop_table("saved_views")
