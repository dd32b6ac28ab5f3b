"""records: where each record came from (record_sources), deal dimensions (rep, manager,
team), and the links imports make later (pending links, merged external ids)

Revision ID: 0023_record_sources
Revises: 0022_unknown_values, 0002_ingest, 0011_opportunity_custom_fields
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.db

revision: str = "0023_record_sources"
# Also a merge point of the ingest branch (sources and pending links refer to import jobs) and
# of the deals' custom fields (both alter opportunities).
down_revision: str | tuple[str, ...] | None = (
    "0022_unknown_values",
    "0002_ingest",
    "0011_opportunity_custom_fields",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCED = ("accounts", "contacts", "opportunities", "activities")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="SET NULL"
    )


def _add_source_id(table: str) -> None:
    """Add `table.source_id` referring to record_sources without copying the table.

    Batch mode copies a SQLite table to add a foreign key (over 6 minutes at 20M activities).
    SQLite instead adds the column in place, and the constraint is written into the stored
    CREATE TABLE text: a foreign key changes nothing on disk, every value is NULL so none is
    violated, and the schema version is bumped so each connection rereads the schema (the
    procedure of sqlite.org/lang_altertable.html, "other kinds of table schema changes")."""
    name = op.f(f"fk_{table}_source_id_record_sources")
    if op.get_bind().dialect.name != "sqlite":
        op.add_column(table, sa.Column("source_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            name, table, "record_sources", ["source_id"], ["id"], ondelete="SET NULL"
        )
        return
    bind = op.get_bind()
    bind.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN source_id INTEGER")
    read = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?"
    sql = bind.exec_driver_sql(read, (table,)).scalar_one().rstrip()
    constraint = f"CONSTRAINT {name} FOREIGN KEY(source_id) REFERENCES record_sources (id)"
    sql = f"{sql[:-1].rstrip()},\n\t{constraint} ON DELETE SET NULL\n)"
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    op.create_table(
        "record_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        _fk("record_sources", "job_id", "import_jobs"),
        _fk("record_sources", "token_id", "api_tokens"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_sources")),
    )
    for column in ("name", "job_id", "token_id"):
        op.create_index(op.f(f"ix_record_sources_{column}"), "record_sources", [column])
    for table in SOURCED:
        _add_source_id(table)
    for column, length in (("rep_name", 200), ("manager_name", 200), ("team_name", 100)):
        op.add_column("opportunities", sa.Column(column, sa.String(length=length), nullable=True))
    op.create_table(
        "import_pending_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("record_kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        _fk("import_pending_links", "job_id", "import_jobs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_pending_links")),
    )
    op.create_index(
        "ix_import_pending_links_target", "import_pending_links", ["target", "external_id"]
    )
    op.create_index("ix_import_pending_links_job", "import_pending_links", ["job_id"])
    op.create_table(
        "import_merged_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tandem.db.UTCDateTime(timezone=True), nullable=False),
        _fk("import_merged_ids", "job_id", "import_jobs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_merged_ids")),
        sa.UniqueConstraint("target", "external_id", name=op.f("uq_import_merged_ids_target")),
    )


def downgrade() -> None:
    op.drop_table("import_merged_ids")
    op.drop_table("import_pending_links")
    with op.batch_alter_table("opportunities") as batch:
        batch.drop_column("team_name")
        batch.drop_column("manager_name")
        batch.drop_column("rep_name")
    for table in SOURCED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_source_id_record_sources"), type_="foreignkey")
            batch.drop_column("source_id")
    op.drop_table("record_sources")
