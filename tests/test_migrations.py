"""The migrations build exactly the schema the models declare, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tandem.migrate import current_revisions, head_revisions
from tandem.tables import metadata


def test_database_is_at_head(engine):
    assert current_revisions(engine) == head_revisions()


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_indexes_for_later_capabilities_exist(engine):
    from sqlalchemy import inspect

    names = {ix["name"] for ix in inspect(engine).get_indexes("activities")}
    assert {
        "ix_activities_contact_time",
        "ix_activities_campaign",
        "ix_activities_type_time",
        "uq_activities_idempotency_key",
    } <= names
